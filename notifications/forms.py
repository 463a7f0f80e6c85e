from django import forms

from notifications.models import Frequency, ReplyPreference, ThreadReplyPreference
from readers.models import Reader

AS_DEFAULT = ("", "As my default")


class ReplyPreferencesForm(forms.Form):
    """The reader's choice for every thread, and one field per thread they commented in."""

    frequency = forms.ChoiceField(
        label="Replies to my comments", choices=Frequency.choices, widget=forms.RadioSelect
    )

    def __init__(self, data=None, *, reader: Reader, threads: list) -> None:
        self.reader = reader
        self.threads = threads
        chosen = ThreadReplyPreference.objects.filter(reader=reader)
        overrides = dict(chosen.values_list("thread_id", "frequency"))
        initial = {"frequency": ReplyPreference.of(reader)}
        for thread in threads:
            initial[self.field_name(thread)] = overrides.get(thread.pk, "")
        super().__init__(data, initial=initial)
        for thread in threads:
            self.fields[self.field_name(thread)] = forms.ChoiceField(
                label=thread.article.headline,
                choices=[AS_DEFAULT, *Frequency.choices],
                required=False,
            )

    @staticmethod
    def field_name(thread) -> str:
        return f"thread_{thread.pk}"

    def thread_fields(self) -> list[tuple]:
        return [(thread, self[self.field_name(thread)]) for thread in self.threads]

    def save(self) -> None:
        """Writes only what changed: a reader who commented in hundreds of threads and
        changes one costs a few queries."""
        if "frequency" in self.changed_data:
            ReplyPreference.choose(self.reader, self.cleaned_data["frequency"])
        for thread in self.threads:
            name = self.field_name(thread)
            if name in self.changed_data:
                ThreadReplyPreference.choose(self.reader, thread, self.cleaned_data[name])
