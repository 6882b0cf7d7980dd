import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    """A row for each enrolment already trained but for the date (training.trained)."""
    enrolments = apps.get_model("training", "Enrolment")
    rows = apps.get_model("training", "TrainedEnrolment")
    rows.objects.bulk_create([rows(
        enrolment_id=e.pk, participant_id=e.participant_id, session_id=e.session_id,
        course_id=e.session.course_id, programme_id=e.session.course.programme_id,
        starts=e.session.starts, ends=e.session.ends, year=e.session.starts.year,
        completion=e.completion, pre_score=e.pre_score, post_score=e.post_score,
        gender=e.participant.gender, country_id=e.participant.country_id,
        organisation_id=e.participant.organisation_id)
        for e in enrolments.objects.filter(status="enrolled", session__cancelled_at=None)
        .select_related("session__course", "participant").iterator(chunk_size=2000)],
        batch_size=2000)


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0007_programme_coordinators'),
        ('training', '0002_xapi_outbox'),
    ]

    operations = [
        migrations.CreateModel(
            name='TrainedEnrolment',
            fields=[
                ('enrolment', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='training.enrolment')),
                ('starts', models.DateField()),
                ('ends', models.DateField()),
                ('year', models.PositiveSmallIntegerField()),
                ('completion', models.CharField(choices=[('incomplete', 'Not complete'), ('complete', 'Complete'), ('pass', 'Passed'), ('fail', 'Failed')], max_length=16)),
                ('pre_score', models.DecimalField(decimal_places=2, max_digits=5, null=True)),
                ('post_score', models.DecimalField(decimal_places=2, max_digits=5, null=True)),
                ('gender', models.CharField(choices=[('female', 'Female'), ('male', 'Male'), ('another', 'Another gender'), ('not_stated', 'Not stated')], max_length=16)),
                ('country', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='directory.country')),
                ('course', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='training.course')),
                ('organisation', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='directory.organisation')),
                ('participant', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='training.participant')),
                ('programme', models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='directory.programme')),
                ('session', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='training.session')),
            ],
            options={
                'verbose_name': 'trained enrolment',
                'verbose_name_plural': 'trained enrolments',
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
