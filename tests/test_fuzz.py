"""Generated inputs against the comment form (500 posts), search (500 queries) and
moderation (450 posts): the property is no 5xx, no invalid row saved, and nothing
reflected unescaped."""

import unicodedata

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.text import clean_text
from comments.models import Comment
from tests.factories import comment_form_data, make_article, make_comments

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Text of every kind: any script, control characters, markup, template syntax.
ANY_TEXT = st.text(max_size=300) | st.sampled_from(
    [
        "<script>alert(1)</script>",
        "{{ x }}{% debug %}",
        "\x00",
        "\u202e",
        "\u200b\u200b",
        "\ue010csrf\ue011",
        "a" * 6000,
        " " * 50,
    ]
)
MARKUP = "<script>alert(1)"  # reflected unescaped, this would run


@pytest.fixture
def story(settings):
    settings.COMMENTS_FLOOD_LIMIT = 10**9  # one address sends every example
    settings.COMMENTS_DUPLICATE_WINDOW = 0
    return make_article()


@FUZZ
@given(name=ANY_TEXT, email=ANY_TEXT, body=ANY_TEXT, parent=ANY_TEXT | st.integers())
def test_comment_form_never_fails_and_saves_only_valid_comments(story, name, email, body, parent):
    before = Comment.objects.count()

    response = Client().post(
        f"/comments/post/{story.pk}/",
        comment_form_data(
            story, author_name=name, author_email=email, body=body, parent=str(parent)
        ),
    )

    assert response.status_code < 500
    assert MARKUP not in response.content.decode(errors="replace")
    saved = Comment.objects.order_by("-pk").first()
    if Comment.objects.count() > before:
        assert response.status_code == 302
        assert 2 <= len(saved.body) <= 5000 and saved.body == saved.body.strip()
        assert "\x00" not in saved.body + saved.author_name
        for text in (saved.body, saved.author_name, saved.author_email):
            assert text == clean_text(text), "stored as cleaned: NFKC, nothing invisible"
            assert not any(unicodedata.category(c) in ("Cf", "Co", "Cs") for c in text)
        assert saved.status in Comment.Status.values


@FUZZ
@given(query=ANY_TEXT, page=ANY_TEXT)
def test_search_answers_any_query(client, story, query, page):
    # Hundreds of searches from one address: the rate limit is tested on its own.
    with override_settings(SEARCH_RATE_LIMIT=10**6):
        response = client.get("/search/", {"q": query, "page": page})

    assert response.status_code == 200
    assert MARKUP not in response.content.decode()


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(action=ANY_TEXT, reason=ANY_TEXT, comment_id=st.integers(min_value=-5, max_value=10**6))
def test_moderation_views_answer_any_input(story, action, reason, comment_id):
    moderator, _ = User.objects.get_or_create(username="fuzz-mod", defaults={"is_staff": True})
    moderator.groups.add(Group.objects.get(name="Moderators"))
    client = Client()
    client.force_login(moderator)
    if not Comment.objects.exists():
        make_comments(story, 3)
    target = comment_id if comment_id > 3 else Comment.objects.first().pk

    responses = [
        client.post(f"/comments/{target}/moderate/", {"action": action, "reason": reason}),
        client.post(f"/comments/thread/{story.pk}/close/", {"reason": reason}),
        client.post(f"/comments/thread/{story.pk}/reopen/", {"reason": reason}),
    ]

    assert all(response.status_code < 500 for response in responses)
    assert set(Comment.objects.values_list("status", flat=True)) <= set(Comment.Status.values)
