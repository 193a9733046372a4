# The uploaded file moves out of the submission's row (see SubmissionFile), copied one
# submission at a time so that memory holds one file at most.

import django.db.models.deletion
from django.db import migrations, models


def files_out_of_submissions(apps, schema_editor):
    Submission = apps.get_model("leaderboard", "Submission")
    SubmissionFile = apps.get_model("leaderboard", "SubmissionFile")
    for pk in Submission.objects.values_list("pk", flat=True).iterator():
        data = Submission.objects.filter(pk=pk).values_list("upload", flat=True).get()
        SubmissionFile.objects.create(submission_id=pk, data=bytes(data))


def files_into_submissions(apps, schema_editor):
    Submission = apps.get_model("leaderboard", "Submission")
    SubmissionFile = apps.get_model("leaderboard", "SubmissionFile")
    for pk in SubmissionFile.objects.values_list("pk", flat=True).iterator():
        data = SubmissionFile.objects.filter(pk=pk).values_list("data", flat=True).get()
        Submission.objects.filter(pk=pk).update(upload=bytes(data))


class Migration(migrations.Migration):

    dependencies = [
        ('leaderboard', '0003_chunks_and_stored_samples'),
    ]

    operations = [
        migrations.CreateModel(
            name='SubmissionFile',
            fields=[
                ('submission', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='file', serialize=False, to='leaderboard.submission')),
                ('data', models.BinaryField()),
            ],
        ),
        migrations.RunPython(files_out_of_submissions, files_into_submissions),
        # A default, so that migrating back can add the column to existing rows.
        migrations.AlterField(
            model_name='submission',
            name='upload',
            field=models.BinaryField(default=b''),
        ),
        migrations.RemoveField(
            model_name='submission',
            name='upload',
        ),
    ]
