from django import forms


class ClassesFilterForm(forms.Form):
    """What a manager narrows "My classes" to; trainers always see their own."""

    trainer = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="All trainers", label="Trainer"
    )
    days = forms.TypedChoiceField(
        choices=[(1, "Today"), (7, "Next 7 days")],
        coerce=int,
        initial=7,
        required=False,
        empty_value=7,
        label="Show",
    )

    def __init__(self, *args, trainers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainer"].queryset = trainers
        self.fields["trainer"].label_from_instance = lambda u: u.get_full_name() or u.username
