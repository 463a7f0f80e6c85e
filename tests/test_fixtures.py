import pytest
from django.core.management import call_command

from articles.models import Article, Promo, Section, Topic
from comments.models import Comment, Thread
from comments.rules import CommentRules
from tests.conftest import page_text

pytestmark = pytest.mark.django_db

MODELS = [Section, Topic, Article, Promo, Thread, Comment]


def row_counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_demo_fixture_loaded_twice_duplicates_nothing():
    call_command("loaddata", "demo", verbosity=0)
    first = row_counts()
    call_command("loaddata", "demo", verbosity=0)

    assert row_counts() == first
    assert first["Comment"] == 7 and first["Article"] == 11


def test_load_demo_fills_an_empty_database_and_then_leaves_it_alone(capsys):
    call_command("load_demo", verbosity=0)
    Article.objects.filter(pk=1).update(headline="Changed by an editor")

    call_command("load_demo")

    assert Article.objects.get(pk=1).headline == "Changed by an editor"
    assert "demo data not loaded" in capsys.readouterr().out
    call_command("load_demo", "--force", verbosity=0)
    assert Article.objects.get(pk=1).headline.startswith("Malik says")
    assert Article.objects.count() == 11


def test_demo_threads_store_their_visible_comment_counts():
    call_command("loaddata", "demo", verbosity=0)

    for thread in Thread.objects.all():
        assert thread.comment_count == thread.comments.visible().count()


def test_demo_has_an_open_thread_to_try_posting_on():
    call_command("loaddata", "demo", verbosity=0)

    seed = Thread.objects.get(article_id=1)
    assert not CommentRules.for_story(seed.article, seed).is_open()
    assert Thread.objects.filter(closed_at=None).exists()


def test_generate_demo_adds_only_what_is_missing_and_cached_pages_show_it(client):
    call_command("generate_demo", "--stories", "30", "--comments", "0", verbosity=0)
    lead = Article.objects.get(slug="gen-0")  # the newest story leads the home page
    assert lead.headline in page_text(client.get("/"))  # now in the page cache

    # Comments alone go in by bulk_create, which sends no signals to the page cache.
    call_command("generate_demo", "--stories", "30", "--comments", "300", verbosity=0)

    generated = Article.objects.filter(slug__startswith="gen-")
    assert Comment.objects.filter(thread__article__in=generated).count() == 300
    for thread in Thread.objects.filter(article__in=generated):
        assert thread.comment_count == thread.comments.visible().count()
    count = Thread.objects.get(article=lead).comment_count
    assert count > 1
    assert f"{count} comments" in page_text(client.get("/"))
    first = row_counts()
    call_command("generate_demo", "--stories", "30", "--comments", "300", verbosity=0)
    assert row_counts() == first
