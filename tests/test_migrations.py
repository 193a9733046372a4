import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("leaderboard", "0003_chunks_and_stored_samples")]
AFTER = [("leaderboard", "0004_submission_file")]
FILES = [b'["def f(x):\\n    return x\\n"]', b"", bytes(range(256))]


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return MigrationExecutor(connection).loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_uploaded_files_move_to_their_own_table_and_back():
    try:
        apps = migrate(BEFORE)
        model = apps.get_model("leaderboard", "LanguageModel").objects.create(name="m", slug="m")
        Submission = apps.get_model("leaderboard", "Submission")
        ids = [Submission.objects.create(model=model, upload=data, upload_name="s.json").pk
               for data in FILES]

        apps = migrate(AFTER)
        stored = apps.get_model("leaderboard", "SubmissionFile").objects
        assert [bytes(stored.get(pk=pk).data) for pk in ids] == FILES

        apps = migrate(BEFORE)
        submissions = apps.get_model("leaderboard", "Submission").objects
        assert [bytes(submissions.get(pk=pk).upload) for pk in ids] == FILES
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
