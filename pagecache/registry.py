"""Which models change which page scopes: the one registry, fed by the apps.

Each app calls `watch(Model, scopes)` in its `AppConfig.ready()`, where `scopes(row)`
names the scopes a row shows on. Receivers of `post_save`, `post_delete` and
`m2m_changed` then bump those scopes in the writer's transaction, whichever way the
change comes: a model's save(), the admin's "Delete selected" (QuerySet.delete()),
loaddata, a many-to-many add or remove.

Writes that send no signals must bump explicitly, with `versions.bump()` beside them.
They are, in the whole project:
- `demo.management.commands.generate_demo`: bulk_create of stories, threads, comments.
- `QuerySet.update()` and `bulk_create()` calls in tests that set up rows (never in
  application code).
"""

from collections.abc import Callable, Iterable

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save

from pagecache import versions

ScopesOf = Callable[[models.Model], Iterable[str]]
# Keyed by concrete model: a proxy's rows are the same rows.
_scopes_of: dict[type[models.Model], ScopesOf] = {}
_unseen_fields: dict[type[models.Model], frozenset[str]] = {}


def watch(model: type[models.Model], scopes: ScopesOf, *, unseen_fields=()) -> None:
    """Bump `scopes(row)` whenever a row of `model` is saved or deleted, and when one of
    its many-to-many relations changes; a save(update_fields=...) of `unseen_fields`
    alone (shown on no reader's page) bumps nothing."""
    _scopes_of[model._meta.concrete_model] = scopes
    _unseen_fields[model._meta.concrete_model] = frozenset(unseen_fields)


def connect() -> None:
    """Run once, from `PageCacheConfig.ready()`."""
    post_save.connect(_saved, dispatch_uid="pagecache-save")
    post_delete.connect(_deleted, dispatch_uid="pagecache-delete")
    m2m_changed.connect(_relation_changed, dispatch_uid="pagecache-m2m")


def _watched(model) -> bool:
    return model._meta.concrete_model in _scopes_of


def scopes_of(row: models.Model) -> list[str]:
    return list(_scopes_of[row._meta.concrete_model](row))


def _saved(sender, instance, update_fields=None, **kwargs) -> None:
    if not _watched(sender):
        return
    if update_fields and update_fields <= _unseen_fields[sender._meta.concrete_model]:
        return
    versions.bump(*scopes_of(instance))


def _deleted(sender, instance, origin=None, **kwargs) -> None:
    if not _watched(sender):
        return
    # A row deleted by a cascade shows only on pages of the watched row whose deletion
    # cascaded, and that row bumps them: deleting a story does not bump once per comment.
    # It holds because of what the rows cascade to: a story's, section's or topic's
    # dependents (threads, comments, pins, promos, policies) are on pages that show the
    # site scope, which those rows bump; a thread's comments are on its story's page.
    origin_model = origin.model if isinstance(origin, models.QuerySet) else type(origin)
    if origin is not None and not _same_model(origin_model, sender) and _watched(origin_model):
        return
    versions.bump(*scopes_of(instance))


def _same_model(one, other) -> bool:
    return one._meta.concrete_model is other._meta.concrete_model


def _relation_changed(sender, instance, action, model, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    scopes = scopes_of(instance) if _watched(type(instance)) else []
    if _watched(model) and pk_set:
        # Changed from the other side (topic.articles.add(story)): the stories changed too.
        for pk in pk_set:
            scopes += scopes_of(model(pk=pk))
    if scopes:
        versions.bump(*scopes)
