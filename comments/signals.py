"""What the comments app tells the apps built on it. Comments import none of them: an app
that reacts to comments (notifications) connects a receiver in its own `ready()`."""

from django.dispatch import Signal

# A comment became visible to readers: posted and shown at once, or approved or restored
# by a moderator. One comment may be published more than once (approved after reports,
# restored after a removal): a receiver that must act once per comment keeps its own
# record. Sent inside the transaction that made it visible, so whatever a receiver writes
# (a queued job) commits or rolls back with the comment. Argument: `comment`.
comment_published = Signal()

# A moderator rejected a comment (removed it, with one of RejectionReason's reasons):
# its author may be told why. Sent inside the transaction, like comment_published.
# Argument: `comment` (its `rejection_reason` set).
comment_rejected = Signal()
