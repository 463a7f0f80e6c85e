"""Created the Editors and Moderators groups until the staff roles moved to the `staff`
app (staff/roles.py, migration staff 0001). Kept, empty, because existing databases have
it applied and comments 0003 depends on it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
        ("comments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = []
