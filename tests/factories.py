"""Small factories that make exactly the rows a test needs."""

import time
from datetime import timedelta
from itertools import count

from django.contrib.auth.models import Group, User
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from articles.models import Article, Section, Topic
from comments.forms import form_token
from comments.models import Comment, Thread

_numbers = count(1)


def make_staff(username: str, group: str | None = None) -> User:
    """A staff account, in one of the staff groups (Editors, Moderators) when named."""
    user = User.objects.create_user(username, password="pw", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def make_reader(email: str = "", display_name: str = "", **fields):
    """A reader's account as a first sign-in by link makes it (readers.models)."""
    from readers.models import Reader

    number = next(_readers)
    email = email or f"reader{number}@example.com"
    user = User.objects.create_user(f"reader-{number}", **fields)
    user.set_unusable_password()
    user.save()
    return Reader.objects.create(user=user, email=email.lower(), display_name=display_name)


_readers = count(1)


def force_login_verified(client, user: User) -> TOTPDevice:
    """`client.force_login(user)` with the second factor given: a confirmed TOTP device of
    the user's marks the session verified, as django_otp.login does after the right code.
    (Superusers, and staff who need a code, are signed out without it.)"""
    device = TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def make_section(**fields) -> Section:
    n = next(_numbers)
    fields.setdefault("name", f"Section {n}")
    fields.setdefault("slug", f"section-{n}")
    return Section.objects.create(**fields)


def make_topic(**fields) -> Topic:
    n = next(_numbers)
    fields.setdefault("name", f"Topic {n}")
    fields.setdefault("slug", f"topic-{n}")
    return Topic.objects.create(**fields)


def make_article(**fields) -> Article:
    n = next(_numbers)
    fields.setdefault("headline", f"Story number {n}")
    fields.setdefault("slug", f"story-number-{n}")
    fields.setdefault("body", f"First paragraph of story {n}.\n\nSecond paragraph.")
    fields.setdefault("teaser", f"Teaser of story {n}.")
    fields.setdefault("status", Article.Status.PUBLISHED)
    fields.setdefault("published_at", timezone.now() - timedelta(hours=1))
    if "section" not in fields:
        fields["section"] = make_section()
    return Article.objects.create(**fields)


def bulk_stories(section: Section, number: int, **fields) -> None:
    """Many published stories in one INSERT, newest first (bulk inserts skip save())."""
    now = timezone.now()
    Article.objects.bulk_create(
        Article(
            headline=f"Bulk story {i}",
            slug=f"bulk-story-{i}",
            section=section,
            body="Text of a bulk story.",
            teaser=f"Teaser {i}.",
            status=Article.Status.PUBLISHED,
            published_at=now - timedelta(minutes=i + 1),
            publication_date=timezone.localdate(now - timedelta(minutes=i + 1)),
            **fields,
        )
        for i in range(number)
    )


def replace_stories(section: Section, number: int, **fields) -> None:
    """Exactly `number` bulk stories, all in `section`: whatever stories an earlier round
    of the same test made are deleted first."""
    Article.objects.all().delete()
    bulk_stories(section, number, **fields)


def make_comments(article: Article, number: int, **fields) -> list[Comment]:
    thread, _ = Thread.objects.get_or_create(article=article)
    start = timezone.now() - timedelta(days=1)
    comments = Comment.objects.bulk_create(
        Comment(
            thread=thread,
            author_name=fields.get("author_name", f"Reader {i}"),
            body=fields.get("body", f"Comment number {i}."),
            created_at=start + timedelta(minutes=i),
            status=fields.get("status", Comment.Status.VISIBLE),
        )
        for i in range(number)
    )
    thread.refresh_comment_count()
    return comments


def comment_form_data(article: Article, *, age: float = 10, **fields) -> dict:
    """What a reader's browser sends: the form's fields plus a token served `age` seconds ago."""
    data = {"author_name": "", "author_email": "", "body": "A thoughtful comment.", "website": ""}
    data.update(fields)
    data["token"] = fields.get("token", form_token(article.pk, time.time() - age))
    return {key: value for key, value in data.items() if value is not None}


def readers_comment(reader, article: Article | None = None, body: str = "First thoughts."):
    """A signed-in reader's comment as they post it (comment_post, under their account)."""
    from comments.services import comment_post

    return comment_post(
        article=article or make_article(),
        parent_id=None,
        author_name=reader.display_name,
        author_email=reader.email,
        body=body,
        ip="203.0.113.5",
        reader_key=f"user:{reader.user.pk}",
        author=reader.user,
    ).comment


def make_reply(parent: Comment, **fields) -> Comment:
    parent_of_reply, root, depth = parent.reply_position()
    comment = Comment.objects.create(
        thread=parent.thread,
        parent=parent_of_reply,
        root=root,
        depth=depth,
        author_name=fields.pop("author_name", "Replier"),
        body=fields.pop("body", "A reply."),
        **fields,
    )
    parent.thread.refresh_comment_count()
    return comment
