"""The two staff roles, as groups with exact permissions: the one definition of both.

Editors write and publish stories and manage sections, topics and promos; they never
delete (only superusers do). Moderators run comment threads: approve, remove, restore,
close and reopen, keep the watch list and the sections' comment policies; they can read
stories but not add or change them.

The migration staff 0001 creates the groups from this module. Databases that ran it keep
what it gave them, so a change to PERMISSIONS comes with a new staff migration that calls
`assign_roles` again.
"""

EDITORS = "Editors"
MODERATORS = "Moderators"

# The role `createstaff --role` takes, and the group it puts the new account in.
ROLE_GROUPS = {"editor": EDITORS, "moderator": MODERATORS}

PERMISSIONS = {
    EDITORS: [
        ("articles", "article", ["add", "change", "view"]),
        ("articles", "section", ["add", "change", "view"]),
        ("articles", "topic", ["add", "change", "view"]),
        ("articles", "promo", ["add", "change", "view"]),
        # Pinning related stories (the pins, not the stories, can be deleted).
        ("articles", "relatedstory", ["add", "change", "delete", "view"]),
        ("comments", "thread", ["view"]),
        ("comments", "comment", ["view"]),
        ("comments", "sectionpolicy", ["add", "change", "view"]),
    ],
    MODERATORS: [
        ("articles", "article", ["view"]),
        ("comments", "thread", ["view", "change", "close_thread"]),
        ("comments", "comment", ["view", "change", "moderate_comment", "search_comment"]),
        ("comments", "commentreport", ["view"]),
        ("comments", "moderationevent", ["view"]),
        ("comments", "sectionpolicy", ["add", "change", "view"]),
        ("comments", "watchedword", ["add", "change", "delete", "view"]),
        # Sanctions on readers' accounts: imposed and lifted, never deleted.
        ("comments", "sanction", ["add", "change", "view"]),
        # Which moderator looks after which section, and their notes on commenters.
        ("moderation", "sectionassignment", ["add", "change", "delete", "view"]),
        ("moderation", "personnote", ["add", "view"]),
    ],
}


def codename(action: str, model: str) -> str:
    # Custom permissions are named in full; the default ones are "<action>_<model>".
    return action if "_" in action else f"{action}_{model}"


def assign_roles(Group, Permission) -> None:
    """Create the groups if missing and give each exactly its permissions, dropping any
    added by hand. The models are passed in because a migration has historical ones; the
    tests call it with the real ones, to restore the groups after a transactional test
    emptied the database."""
    for name, grants in PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = [
            Permission.objects.get(
                content_type__app_label=app_label,
                content_type__model=model,
                codename=codename(action, model),
            )
            for app_label, model, actions in grants
            for action in actions
        ]
        group.permissions.set(permissions)
