"""The Disqus reader on its own (imports.disqus): what it makes of each thread and post,
and what it skips, with a stand-in for the Importer. The command, against the database,
is tests/test_import_disqus.py."""

import io
import time
from datetime import UTC, datetime
from xml.etree.ElementTree import ParseError

import pytest
from defusedxml import DefusedXmlException

from imports.disqus import (
    DELETED_WITHOUT_TEXT,
    DisqusReader,
    DisqusThread,
    NotDisqus,
    ThreadPosts,
    import_disqus,
)
from imports.report import Report
from imports.text import html_to_text, plain_name

HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<disqus xmlns="http://disqus.com" '
    'xmlns:dsq="http://disqus.com/disqus-internals" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
)


def category(forum="gazette"):
    return (
        f'<category dsq:id="1"><forum>{forum}</forum><title>General</title>'
        "<isDefault>true</isDefault></category>\n"
    )


def thread(key, link, closed="false", forum="gazette"):
    return (
        f'<thread dsq:id="{key}"><id></id><forum>{forum}</forum><category dsq:id="1"/>'
        f"<link>{link}</link><title>Thread {key}</title><message/>"
        "<createdAt>2012-07-30T09:59:00Z</createdAt>"
        "<author><name>Editor</name><email>ed@example.com</email>"
        "<isAnonymous>false</isAnonymous></author>"
        f"<ipAddress>127.0.0.1</ipAddress><isClosed>{closed}</isClosed>"
        "<isDeleted>false</isDeleted></thread>\n"
    )


def post(
    key,
    thread_key,
    message="<p>Hello.</p>",
    parent=None,
    created="2012-07-30T10:00:00Z",
    deleted="false",
    spam="false",
    name="Alice",
    email="alice@example.com",
    anonymous="false",
    ip="203.0.113.9",
    own_id="",
):
    key_attribute = f' dsq:id="{key}"' if key else ""
    parent_element = f'<parent dsq:id="{parent}"/>' if parent else ""
    return (
        f"<post{key_attribute}><id>{own_id}</id><message><![CDATA[{message}]]></message>"
        f"<createdAt>{created}</createdAt><isDeleted>{deleted}</isDeleted>"
        f"<isSpam>{spam}</isSpam><author><email>{email}</email><name>{name}</name>"
        f"<isAnonymous>{anonymous}</isAnonymous><username>u{key}</username></author>"
        f'<ipAddress>{ip}</ipAddress><thread dsq:id="{thread_key}"/>{parent_element}'
        "</post>\n"
    )


def export(*parts: str) -> io.BytesIO:
    return io.BytesIO((HEAD + "".join(parts) + "</disqus>\n").encode())


def read(*parts: str, **options) -> tuple[list, Report]:
    report = Report()
    return list(DisqusReader(export(*parts), report, **options)), report


def posts_of(items) -> dict[str, list]:
    """Thread key -> its records, in the order they were handed over."""
    found: dict[str, list] = {}
    for item in items:
        if isinstance(item, ThreadPosts):
            found.setdefault(item.thread.key, []).extend(item.comments)
    return found


def skips(report: Report) -> dict[tuple[str, str], list[str]]:
    return {key: report.skipped[key] for key, number in report.skip_counts.items() if number}


class FakeImporter:
    """The Importer's contract as the reader uses it: links it knows, calls it got."""

    def __init__(self, stories: dict[str, int]):
        self.stories = stories
        self.calls: list[tuple[int, list, bool]] = []
        self.finished = False

    def story_for_link(self, link):
        return self.stories.get(link)

    def add_comments(self, article_pk, comments, *, closed=False):
        self.calls.append((article_pk, list(comments), closed))

    def finish(self):
        self.finished = True


def test_threads_come_with_link_forum_and_closed_flag():
    items, report = read(
        category("the-gazette"),
        thread("10", "https://news.example.com/news/1/a/", closed="true"),
        thread("20", "https://news.example.com/news/2/b/"),
    )
    threads = [item for item in items if isinstance(item, DisqusThread)]
    assert [(t.key, t.link, t.forum, t.closed) for t in threads] == [
        ("10", "https://news.example.com/news/1/a/", "gazette", True),
        ("20", "https://news.example.com/news/2/b/", "gazette", False),
    ]
    assert not report.skip_counts


def test_a_post_keeps_its_author_address_time_and_nesting():
    items, report = read(
        thread("10", "https://x/a/"),
        post("1", "10"),
        post("2", "10", parent="1", name="Bob", email="bob@example.com", ip="2001:db8::1"),
    )
    first, reply = posts_of(items)["10"]
    assert (first.original_id, first.parent_id, first.author_name) == ("1", "", "Alice")
    assert first.author_email == "alice@example.com"
    assert first.ip_address == "203.0.113.9"
    assert first.created_at == datetime(2012, 7, 30, 10, 0, tzinfo=UTC)
    assert (first.status, first.spam, first.body) == ("visible", False, "Hello.")
    assert (reply.original_id, reply.parent_id, reply.author_name) == ("2", "1", "Bob")
    assert reply.ip_address == "2001:db8::1"
    assert not report.skip_counts


def test_anonymous_authors_have_no_name():
    items, _ = read(thread("10", "https://x/a/"), post("1", "10", name="Guest", anonymous="true"))
    (record,) = posts_of(items)["10"]
    assert record.author_name == ""


def test_deleted_post_is_deleted_and_spam_is_removed_as_spam():
    items, report = read(
        thread("10", "https://x/a/"),
        post("1", "10", deleted="true"),
        # A deleted post's message is often gone: still a tombstone for its replies.
        post("2", "10", deleted="true", message=""),
        post("3", "10", spam="true"),
        post("4", "10", parent="2"),
    )
    records = {r.original_id: r for r in posts_of(items)["10"]}
    assert (records["1"].status, records["1"].spam) == ("deleted", False)
    assert (records["2"].status, records["2"].body) == ("deleted", DELETED_WITHOUT_TEXT)
    assert (records["3"].status, records["3"].spam) == ("removed", True)
    assert records["4"].parent_id == "2"
    assert not report.skip_counts


def test_a_post_without_dsq_id_is_keyed_by_its_own_id_and_with_neither_is_skipped():
    items, report = read(
        thread("10", "https://x/a/"),
        post("", "10", own_id="wp-77"),
        post("", "10", own_id=""),
    )
    (record,) = posts_of(items)["10"]
    # Marked, so that it cannot collide with another post's dsq:id "wp-77".
    assert record.original_id == "id:wp-77"
    assert report.skip_counts["comment", "a post with neither a dsq:id nor an id"] == 1


@pytest.mark.parametrize(
    "bad_post, reason",
    [
        (post("2", "10", created="yesterday"), "an unparseable createdAt"),
        (post("2", "10", created=""), "an unparseable createdAt"),
        (post("2", "10", spam="maybe"), "<isSpam> is neither true nor false"),
        (post("2", "10", deleted="yes please"), "<isDeleted> is neither true nor false"),
        (post("2", "10", anonymous="perhaps"), "<isAnonymous> is neither true nor false"),
        (post("2", "10", message=""), "an empty message"),
        (post("2", "10", message="<p> </p><br>&nbsp;"), "an empty message"),
        (post("2", "10", message="\u200b\u200b"), "an empty message"),
        (post("2", "10", parent="9999"), "a reply to a post that doesn't exist"),
        (post("2", "10", parent="2"), "a reply to itself"),
        (post("2", "404"), "its thread is not in the file"),
    ],
)
def test_a_bad_post_is_skipped_and_listed_and_the_rest_goes_in(bad_post, reason):
    items, report = read(thread("10", "https://x/a/"), post("1", "10"), bad_post, post("3", "10"))
    assert [r.original_id for r in posts_of(items)["10"]] == ["1", "3"]
    assert skips(report) == {("comment", reason): ["2"]}


def test_replies_to_a_skipped_post_are_skipped_with_it():
    items, report = read(
        thread("10", "https://x/a/"),
        post("1", "10", created="never"),
        post("2", "10", parent="1"),
        post("3", "10", parent="2"),
        post("4", "10"),
    )
    assert [r.original_id for r in posts_of(items)["10"]] == ["4"]
    assert skips(report) == {
        ("comment", "an unparseable createdAt"): ["1"],
        ("comment", "a reply to a post that was skipped"): ["2", "3"],
    }


def test_a_reply_in_another_thread_than_its_parent_is_skipped():
    items, report = read(
        thread("10", "https://x/a/"),
        thread("20", "https://x/b/"),
        post("1", "10"),
        post("2", "20", parent="1"),
    )
    assert "20" not in posts_of(items)
    assert skips(report) == {("comment", "a reply to a post in another thread"): ["2"]}


def test_a_post_that_appears_twice_goes_in_once():
    items, report = read(thread("10", "https://x/a/"), post("1", "10"), post("1", "10"))
    assert len(posts_of(items)["10"]) == 1
    assert skips(report) == {("comment", "a post that appears twice in the file"): ["1"]}


def test_a_thread_with_a_bad_closed_flag_is_skipped_with_its_posts():
    items, report = read(thread("10", "https://x/a/", closed="sometimes"), post("1", "10"))
    assert not posts_of(items)
    assert skips(report) == {
        ("thread", "<isClosed> is neither true nor false"): ["https://x/a/"],
        ("comment", "its thread was skipped"): ["1"],
    }


def test_replies_before_their_parents_wait_for_them_and_parents_go_first():
    items, report = read(
        thread("10", "https://x/a/"),
        thread("20", "https://x/b/"),
        post("3", "10", parent="2"),  # a reply to a reply, both before the first post
        post("2", "10", parent="1"),
        post("5", "20"),
        post("1", "10"),
        post("4", "10", parent="1"),
    )
    assert not report.skip_counts
    handed = [
        r.original_id for item in items if isinstance(item, ThreadPosts) for r in item.comments
    ]
    assert sorted(handed) == ["1", "2", "3", "4", "5"]
    # Each parent is handed over before (or with) its replies.
    assert handed.index("1") < handed.index("2") < handed.index("3")


def test_posts_are_handed_over_in_batches_of_one_thread_each_parents_first():
    parts = [thread("10", "https://x/a/"), thread("20", "https://x/b/"), post("1", "10")]
    for number in range(2, 26):
        parts.append(post(str(number), "10" if number % 2 else "20", parent=None))
        parts.append(post(f"r{number}", "10" if number % 2 else "20", parent=str(number)))
    items, report = read(*parts, batch_size=4, buffered_max=10)
    batches = [item for item in items if isinstance(item, ThreadPosts)]
    assert all(len(batch.comments) <= 4 for batch in batches)
    assert len(batches) >= 50 / 4
    handed_so_far: set[str] = set()
    for batch in batches:
        for record in batch.comments:
            assert not record.parent_id or record.parent_id in handed_so_far
            handed_so_far.add(record.original_id)
        assert {r.original_id for r in batch.comments} <= {
            r.original_id for r in posts_of(items)[batch.thread.key]
        }
    assert len(handed_so_far) == 49
    assert not report.skip_counts


def test_a_long_reply_chain_in_reverse_order_goes_in_whole():
    # 3,000 levels, the deepest first: resolved without recursion.
    parts = [thread("10", "https://x/a/")]
    parts += [post(str(n), "10", parent=str(n - 1)) for n in range(3000, 1, -1)]
    parts.append(post("1", "10"))
    items, report = read(*parts)
    handed = [r.original_id for r in posts_of(items)["10"]]
    assert handed == [str(n) for n in range(1, 3001)]
    assert not report.skip_counts


def test_message_html_becomes_plain_text():
    message = (
        "<p>First &amp; foremost,<br>a new line.</p><p>Second   paragraph\nwith "
        '<b>bold</b> and <a href="https://example.com/a/long/path" rel="nofollow">'
        "https://example.com/a/lo...</a>.</p><script>alert(1)</script>"
        "<style>p{}</style><ul><li>one</li><li>two</li></ul>"
    )
    assert html_to_text(message) == (
        "First & foremost,\na new line.\n\nSecond paragraph with bold and "
        "https://example.com/a/lo... (https://example.com/a/long/path).\n\none\ntwo"
    )


def test_message_html_that_imitates_markup_stays_text():
    # Escaped markup is the reader's words: it stays, as text (escaped where shown).
    assert html_to_text("&lt;script&gt;alert(1)&lt;/script&gt; {{ x }} {% y %}") == (
        "<script>alert(1)</script> {{ x }} {% y %}"
    )
    assert html_to_text('<a href="javascript:alert(1)">click</a>') == "click"
    assert html_to_text("<img src=x onerror=alert(1)>") == ""
    assert html_to_text("<p>unclosed <b>tags <i>everywhere") == "unclosed tags everywhere"


def test_deeply_nested_message_html_is_read_without_recursion():
    message = "<div>" * 50_000 + "deep" + "</div>" * 50_000
    assert html_to_text(message) == "deep"


def test_names_are_one_line_of_plain_text_cut_to_100_characters():
    assert plain_name("  <b>Al\u200bice</b>\n Smith ") == "<b>Alice</b> Smith"
    assert plain_name("&lt;script&gt;") == "<script>"
    long = plain_name("N" * 300)
    assert long == "N" * 97 + "..."


def test_odd_author_fields_do_not_lose_the_post():
    items, report = read(
        thread("10", "https://x/a/"),
        post(
            "1",
            "10",
            email="not an email",
            ip="999.1.1.1",
            name="&lt;script&gt;x&lt;/script&gt;" * 30,
        ),
    )
    (record,) = posts_of(items)["10"]
    # imports.store drops the email and address that are not one (tests/test_import_disqus).
    assert (record.author_email, record.ip_address) == ("not an email", "999.1.1.1")
    assert len(record.author_name) == 100
    assert record.author_name.startswith("<script>x</script>")
    assert not report.skip_counts


def test_markup_inside_xml_fields_is_read_as_text_however_deep():
    depth = 20_000
    items, report = read(
        thread("10", "https://x/a/"),
        post("1", "10", name="<b>Al<i>ice</i></b>"),
        post("2", "10", message="]]>" + "<div>" * depth + "deep" + "</div>" * depth + "<![CDATA["),
    )
    first, deep = posts_of(items)["10"]
    assert (first.author_name, deep.body) == ("Alice", "deep")
    assert not report.skip_counts


def test_a_file_that_is_not_disqus_gets_one_sentence():
    wxr = b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>'
    with pytest.raises(NotDisqus, match=r"^This is not a Disqus export: .*<rss>.*import_wordpress"):
        list(DisqusReader(io.BytesIO(wxr), Report()))
    html = b"<!DOCTYPE html><html><head><meta charset=utf-8><title>x</title></head></html>"
    with pytest.raises(NotDisqus, match="<html>"):
        list(DisqusReader(io.BytesIO(html), Report()))


def test_malformed_xml_says_where():
    broken = export(thread("10", "https://x/a/"), "<post>\n<message>unclosed</post>")
    with pytest.raises(ParseError) as raised:
        list(DisqusReader(broken, Report()))
    line, column = raised.value.position
    assert line == HEAD.count("\n") + 3 and column > 0


def test_entities_are_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE disqus [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<disqus xmlns="http://disqus.com"><category><forum>&b;</forum></category></disqus>'
    )
    with pytest.raises(DefusedXmlException):
        list(DisqusReader(io.BytesIO(bomb), Report()))


def test_threads_are_matched_by_link_and_unmatched_ones_listed_with_their_posts_skipped():
    importer = FakeImporter({"https://x/a/": 7, "https://x/closed/": 8})
    report = Report()
    posts = import_disqus(
        export(
            category("the-gazette"),
            thread("10", "https://x/a/"),
            thread("20", "https://x/nowhere/"),
            thread("30", "https://x/closed/", closed="true"),
            thread("40", ""),
            post("1", "10"),
            post("2", "20"),
            post("3", "30"),
        ),
        report=report,
        importer_for=lambda forum: importer if forum == "the-gazette" else None,
    )
    assert posts == 3
    assert importer.finished
    # The closed thread is closed even before (or without) its posts.
    assert (8, [], True) in importer.calls
    handed = {
        (pk, r.original_id, closed) for pk, records, closed in importer.calls for r in records
    }
    assert handed == {(7, "1", False), (8, "3", True)}
    assert skips(report) == {
        ("thread", "a thread matching no story"): ["https://x/nowhere/", "40"],
        ("comment", "its thread matches no story"): ["2"],
    }
    assert report.counts["thread", "matched to a story"] == 2
    assert any("https://x/nowhere/" in line for line in report.lines())


def test_a_hostile_link_is_listed_on_one_short_line():
    importer = FakeImporter({})
    report = Report()
    long_link = "https://x/" + "a" * 5000
    import_disqus(
        export(thread("10", long_link), thread("20", "https://x/\nFAKE: report line")),
        report=report,
        importer_for=lambda forum: importer,
    )
    listed = report.skipped["thread", "a thread matching no story"]
    assert listed == [long_link[:197] + "...", "https://x/ FAKE: report line"]


@pytest.mark.parametrize(
    "message",
    [
        "<a " * 70_000,  # 40 s in html.parser over 60 KB (CPython gh-135462)
        '<a href="http://x.y/">a ' * 8_000,
        "<p " * 70_000,
        "<div>" * 40_000 + "deep",
        "<section>" * 40_000 + "deep",  # html5ever: quadratic in depth
        "<blockquote><li>" * 20_000 + "deep",
    ],
)
def test_hostile_message_html_is_read_in_linear_time(message):
    started = time.perf_counter()
    html_to_text(message)
    assert time.perf_counter() - started < 1


def test_message_links_and_breaks_still_read_beside_a_flood():
    message = "<div><section>" * 20_000 + '<p>See <a href="https://example.com/x">this</a>'
    message += "<br/>now</p><script>" + "<div>" * 1000 + "x</script>"
    assert html_to_text(message) == "See this (https://example.com/x)\nnow"


def test_overlong_messages_and_parent_ids_are_skipped_and_listed():
    items, report = read(
        thread("10", "https://x/a/"),
        post("1", "10", message="y" * 100_001),
        post("2", "10", parent="9" * 101),
        post("3", "10"),
    )
    assert skips(report) == {
        ("comment", "a message longer than 100,000 characters"): ["1"],
        ("comment", "a parent id longer than 100 characters"): ["2"],
    }
    assert [r.original_id for r in posts_of(items)["10"]] == ["3"]
