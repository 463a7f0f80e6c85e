"""`import_disqus FILE`: a Disqus export's comments onto the stories their threads name,
against the database (the reader's own rules are tests/test_disqus_reader.py)."""

import gzip
import io
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from articles.links import absolute
from comments.models import Comment, RejectionReason, Thread
from imports import text as text_module
from imports.addresses import old_address
from imports.models import ImportedComment, OldAddress, Source
from imports.store import IMPORTED_CLOSED
from tests.factories import make_article

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).parent / "samples" / "disqus-gazette.xml"
FLOODS_OLD_LINK = "https://old.gazette.example/2012/08/02/floods-recede/"


@pytest.fixture
def stories(settings):
    settings.SITE_URL = "https://news.example.com"
    floods = make_article(headline="Floods recede")
    OldAddress.objects.create(address=old_address(FLOODS_OLD_LINK), article=floods)
    return SimpleNamespace(
        budget=make_article(headline="Budget talks resume"),
        harbour=make_article(headline="Harbour reopens"),
        floods=floods,
    )


def sample(tmp_path, stories, name="disqus.xml", edit=lambda text: text) -> Path:
    """The sample export, with the links of the stories this test made."""
    text = (
        SAMPLE.read_text()
        .replace("{site_story}", absolute(stories.budget.get_absolute_url()))
        .replace(
            "{other_host_story}",
            f"http://www.gazette.example{stories.harbour.get_absolute_url()}?utm_source=feed",
        )
    )
    path = tmp_path / name
    path.write_text(edit(text))
    return path


def import_disqus(path, *options) -> str:
    out = io.StringIO()
    call_command("import_disqus", str(path), *options, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def imported(original_id: str) -> Comment:
    return ImportedComment.objects.select_related("comment").get(original_id=original_id).comment


def test_posts_come_in_on_the_stories_their_threads_name(tmp_path, stories):
    output = import_disqus(sample(tmp_path, stories))

    source = Source.objects.get()
    assert (source.kind, source.name) == (Source.Kind.DISQUS, "gazette")
    # Matched by this site's own absolute address, by its path on another host, and by
    # an old address an earlier import recorded.
    assert imported("1001").thread.article == stories.budget
    assert imported("id:wp-comment-88").thread.article == stories.harbour
    assert imported("3001").thread.article == stories.floods
    assert "comment: 9 created, 5 skipped" in output


def test_posts_keep_author_address_time_text_and_nesting(tmp_path, stories):
    import_disqus(sample(tmp_path, stories))

    alice, carol, guest = imported("1001"), imported("1003"), imported("1002")
    assert alice.author_name == "Alice <b>Ames</b>"
    assert alice.author_email == "alice@example.org"
    assert alice.ip_address == "203.0.113.10"
    assert alice.created_at == datetime(2012, 7, 30, 10, 0, tzinfo=UTC)
    assert alice.body == "First paragraph.\nSame paragraph, new line.\n\nSecond paragraph"
    assert (alice.status, alice.parent_id) == (Comment.Status.VISIBLE, None)
    # The reply came before its parent in the file.
    assert (carol.parent_id, carol.depth) == (alice.pk, 1)
    assert carol.body == "Agreed, & the council should say so."
    assert (guest.author_name, guest.parent_id) == ("", alice.pk)
    assert imported("1005").ip_address == "2001:db8::5"


def test_deleted_posts_are_tombstones_and_spam_is_removed_as_spam(tmp_path, stories, client):
    import_disqus(sample(tmp_path, stories))

    regretted, answer, typo = imported("1004"), imported("1005"), imported("1006")
    assert regretted.status == typo.status == Comment.Status.DELETED
    assert answer.parent_id == regretted.pk
    spam = imported("1007")
    assert (spam.status, spam.rejection_reason) == (Comment.Status.REMOVED, RejectionReason.SPAM)

    page = client.get(stories.budget.get_absolute_url()).content.decode()
    assert "Why delete it?" in page
    assert "Something regretted" not in page and "Typo, posting again" not in page
    assert "Cheap watches" not in page


def test_hostile_names_and_messages_reach_readers_as_text(tmp_path, stories, client):
    import_disqus(sample(tmp_path, stories))

    page = client.get(stories.budget.get_absolute_url()).content.decode()
    assert "Alice &lt;b&gt;Ames&lt;/b&gt;" in page
    assert "<b>Ames" not in page
    assert 'alert("x")' not in page and "alert(&quot;x&quot;)" not in page


def test_isclosed_closes_the_thread_and_other_threads_stay_open(tmp_path, stories):
    output = import_disqus(sample(tmp_path, stories))

    floods = Thread.objects.get(article=stories.floods)
    assert floods.closed_at is not None and floods.close_reason == IMPORTED_CLOSED
    assert Thread.objects.get(article=stories.budget).closed_at is None
    assert "thread: 1 closed, 3 matched to a story, 1 skipped" in output


def test_threads_matching_no_story_are_listed_with_their_links(tmp_path, stories):
    output = import_disqus(sample(tmp_path, stories))

    assert (
        "  skipped 1: a thread matching no story (https://old.gazette.example/about-us/)" in output
    )
    assert "  skipped 1: its thread matches no story (4001)" in output
    assert not ImportedComment.objects.filter(original_id="4001").exists()


def test_bad_records_are_skipped_and_listed_and_the_rest_goes_in(tmp_path, stories):
    output = import_disqus(sample(tmp_path, stories))

    for line in [
        "  skipped 1: an unparseable createdAt (9001)",
        "  skipped 1: <isSpam> is neither true nor false (9002)",
        "  skipped 1: a reply to a post that doesn't exist (9003)",
        "  skipped 1: an empty message (9004)",
    ]:
        assert line in output
    assert not ImportedComment.objects.filter(original_id__startswith="900").exists()
    assert ImportedComment.objects.count() == 9


def test_the_same_file_again_changes_nothing_and_says_so(tmp_path, stories):
    path = sample(tmp_path, stories)
    import_disqus(path)
    before = list(Comment.objects.order_by("pk").values())

    output = import_disqus(path)

    assert list(Comment.objects.order_by("pk").values()) == before
    assert "comment: 9 unchanged, 5 skipped" in output
    assert "Nothing changed" in output
    assert Source.objects.count() == 1


def test_a_newer_export_updates_an_edited_post(tmp_path, stories):
    import_disqus(sample(tmp_path, stories))
    newer = sample(
        tmp_path,
        stories,
        name="newer.xml",
        edit=lambda text: text.replace("I was there.", "I was there, by the harbour wall."),
    )

    output = import_disqus(newer)

    assert imported("1002").body == "I was there, by the harbour wall."
    assert "comment: 8 unchanged, 1 updated, 5 skipped" in output
    assert Comment.objects.count() == 9


def test_dry_run_reports_and_saves_nothing(tmp_path, stories):
    output = import_disqus(sample(tmp_path, stories), "--dry-run")

    assert output.startswith("Dry run: nothing was saved.")
    assert "comment: 9 created, 5 skipped" in output
    assert not Comment.objects.exists()
    assert not Source.objects.exists()
    assert not Thread.objects.filter(closed_at__isnull=False).exists()


@pytest.mark.parametrize("name", ["disqus.xml.gz", "disqus-export.xml"])
def test_a_gzipped_export_is_read_whatever_its_name(tmp_path, stories, name):
    plain = sample(tmp_path, stories)
    gzipped = tmp_path / name
    gzipped.write_bytes(gzip.compress(plain.read_bytes()))

    output = import_disqus(gzipped)

    assert "comment: 9 created, 5 skipped" in output
    assert imported("1001").author_name == "Alice <b>Ames</b>"


def test_malformed_xml_stops_with_line_and_column_and_imports_nothing(tmp_path, stories):
    # Broken at the last post, after all the others were read: all or nothing.
    path = sample(tmp_path, stories, edit=lambda text: "</pots>".join(text.rsplit("</post>", 1)))

    with pytest.raises(CommandError) as raised:
        import_disqus(path)

    message = str(raised.value)
    text = SAMPLE.read_text()
    line = text.count("\n", 0, text.rindex("</post>"))
    assert f"line {line + 1}, column" in message
    assert "mismatched tag" in message and "nothing was imported" in message
    assert not Comment.objects.exists() and not Source.objects.exists()


def test_a_truncated_file_stops_and_imports_nothing(tmp_path, stories):
    path = sample(tmp_path, stories, edit=lambda text: text[: len(text) * 9 // 10])

    with pytest.raises(CommandError, match=r"not well-formed XML at line \d+, column \d+"):
        import_disqus(path)

    assert not Comment.objects.exists() and not Source.objects.exists()


def test_a_truncated_gzip_file_stops_and_imports_nothing(tmp_path, stories):
    data = gzip.compress(sample(tmp_path, stories).read_bytes())
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(CommandError, match="nothing was imported"):
        import_disqus(path)

    assert not Comment.objects.exists()


def test_entities_are_refused_and_nothing_is_imported(tmp_path, stories):
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE disqus [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    )
    text = sample(tmp_path, stories, edit=lambda text: text.replace("<name>Carol<", "<name>&c;<"))
    (tmp_path / "bomb.xml").write_text(bomb + text.read_text().split("?>", 1)[1])

    with pytest.raises(CommandError, match="declares entities"):
        import_disqus(tmp_path / "bomb.xml")

    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    "content, root",
    [
        ('<?xml version="1.0"?><rss version="2.0"><channel><item/></channel></rss>', "<rss>"),
        ("<!DOCTYPE html><html><head><meta charset=utf-8></head><body>x</body></html>", "<html>"),
    ],
)
def test_a_file_that_is_not_a_disqus_export_gets_one_sentence(tmp_path, content, root):
    path = tmp_path / "export.xml"
    path.write_text(content)

    with pytest.raises(CommandError) as raised:
        import_disqus(path)

    message = str(raised.value)
    assert message.startswith("This is not a Disqus export:") and root in message
    assert message.endswith("; nothing was imported.") and message.count(". ") == 0
    assert "\n" not in message and "Traceback" not in message


def test_a_file_that_is_not_there_gets_one_sentence(tmp_path):
    with pytest.raises(CommandError, match=r"^Cannot read .*missing\.xml"):
        import_disqus(tmp_path / "missing.xml")


def test_a_300_character_name_is_cut_to_100_and_the_post_kept(tmp_path, stories):
    path = sample(
        tmp_path, stories, edit=lambda text: text.replace("<name>Erin<", f"<name>{'E' * 300}<")
    )

    import_disqus(path)

    assert imported("1005").author_name == "E" * 97 + "..."


def test_an_odd_email_or_address_is_dropped_and_the_post_kept(tmp_path, stories):
    path = sample(
        tmp_path,
        stories,
        edit=lambda text: text.replace("<email>erin@example.org<", "<email>erin at home<").replace(
            "2001:db8::5", "999.1.1.1"
        ),
    )

    import_disqus(path)

    answer = imported("1005")
    assert (answer.author_email, answer.ip_address, answer.author_name) == ("", None, "Erin")


@pytest.mark.parametrize("encoding", ["x-nonexistent", "shift_jis"])
def test_an_encoding_that_cannot_be_read_is_one_sentence(tmp_path, stories, encoding):
    path = sample(tmp_path, stories, edit=lambda text: text.replace("utf-8", encoding, 1))

    with pytest.raises(CommandError) as raised:
        import_disqus(path)

    message = str(raised.value)
    assert f"its character encoding ({encoding}) is one the import cannot read" in message
    assert message.endswith("; nothing was imported.") and "\n" not in message
    assert not Comment.objects.exists()


def test_a_gzip_bomb_is_refused_and_nothing_is_imported(tmp_path, stories, monkeypatch):
    # A floor of a few kilobytes stands in for the real 64 MB: 100 times the file's
    # size is the bound that counts.
    monkeypatch.setattr(text_module, "INFLATED_FLOOR", 4096)
    padding = "<!-- " + "padding " * 100_000 + "-->\n</disqus>"
    plain = sample(tmp_path, stories, edit=lambda text: text.replace("</disqus>", padding))
    bomb = tmp_path / "bomb.xml.gz"
    bomb.write_bytes(gzip.compress(plain.read_bytes()))
    assert bomb.stat().st_size * 100 < plain.stat().st_size

    with pytest.raises(CommandError, match=r"bomb.xml.gz was refused: it inflates .* bomb;"):
        import_disqus(bomb)

    assert not Comment.objects.exists()
