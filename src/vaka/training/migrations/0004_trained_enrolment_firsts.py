from django.db import migrations, models

# The order of training.Topic when this migration was written (trained.topic_bit).
TOPICS = ["cybercrime_investigation", "digital_evidence", "policing_databases",
          "intelligence_analysis", "handling_codes", "cyber_safety", "human_rights",
          "gender_equality", "trainer_development", "online_learning", "leadership"]


def fill(apps, schema_editor):
    """Each row's firsts (training.trained): which of its person's rows, in the order of
    their sessions' start, it is the first of — of all, in its year, in its programme, in
    each topic of its course."""
    rows = apps.get_model("training", "TrainedEnrolment")
    topics = dict(apps.get_model("training", "Course").objects.values_list("pk", "topics"))
    person, seen, by_value = None, set(), {}
    for row in rows.objects.order_by("participant_id", "starts", "enrolment_id").iterator(
            chunk_size=5000):
        if row.participant_id != person:
            person, seen = row.participant_id, set()
        firsts = 0
        keys = [("all", 1), (("year", row.year), 2), (("programme", row.programme_id), 4)]
        keys += [(("topic", topic), 8 << TOPICS.index(topic))
                 for topic in topics.get(row.course_id) or [] if topic in TOPICS]
        for key, bit in keys:
            if key not in seen:
                seen.add(key)
                firsts |= bit
        if firsts:
            by_value.setdefault(firsts, []).append(row.pk)
    for firsts, keys in by_value.items():  # a few hundred values: an UPDATE a value
        for start in range(0, len(keys), 900):
            rows.objects.filter(pk__in=keys[start:start + 900]).update(firsts=firsts)


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0007_programme_coordinators'),
        ('training', '0003_trained_enrolment'),
    ]

    operations = [
        migrations.AddField(
            model_name='trainedenrolment',
            name='firsts',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='trainedenrolment',
            index=models.Index(fields=['organisation', 'gender', 'country', 'firsts', 'session', 'participant', 'programme', 'course', 'starts'], name='trained_by_person'),
        ),
        migrations.AddIndex(
            model_name='trainedenrolment',
            index=models.Index(fields=['year', 'programme', 'firsts', 'session', 'participant', 'organisation', 'course', 'starts'], name='trained_by_year'),
        ),
        migrations.AddIndex(
            model_name='trainedenrolment',
            index=models.Index(fields=['course', 'completion', 'pre_score', 'post_score', 'ends', 'session', 'participant', 'organisation', 'programme', 'starts'], name='trained_by_course'),
        ),
        migrations.AddIndex(
            model_name='trainedenrolment',
            index=models.Index(fields=['session', 'participant', 'organisation', 'programme', 'course', 'starts'], name='trained_by_session'),
        ),
    ]
