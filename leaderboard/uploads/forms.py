from django import forms

from leaderboard.models import LanguageModel
from leaderboard.uploads.services import new_model


class UploadForm(forms.Form):
    """A sample file and the model that produced it: an existing one or a new one."""

    file = forms.FileField(
        help_text="ENAMEL JSON, EvalPlus JSONL or an EvalPlus zip; at most 200 samples a problem"
    )
    model = forms.ModelChoiceField(
        LanguageModel.objects.all(), required=False, empty_label="— a new model —"
    )
    new_model = forms.CharField(label="New model name", max_length=120, required=False)
    organisation = forms.CharField(max_length=120, required=False)
    parameters_billions = forms.FloatField(
        label="Parameters (billions)", min_value=0, required=False
    )
    open_weights = forms.BooleanField(required=False)
    link = forms.URLField(required=False, assume_scheme="https")
    temperature = forms.FloatField(min_value=0, max_value=10, required=False)
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )
    evaluate_again = forms.BooleanField(
        required=False,
        help_text="Queue the file even if the same bytes were already uploaded for this model",
    )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        chosen, name = data.get("model"), data.get("new_model", "").strip()
        if chosen and name:
            self.add_error("new_model", "Pick an existing model or name a new one, not both.")
        elif not chosen and not name:
            self.add_error("model", "Pick the model that wrote these samples, or name a new one.")
        elif name:
            try:
                data["model"] = new_model(
                    name,
                    organisation=data.get("organisation", ""),
                    parameters_billions=data.get("parameters_billions"),
                    open_weights=data.get("open_weights", False),
                    link=data.get("link", ""),
                )
            except ValueError as error:
                self.add_error("new_model", str(error))
        return data
