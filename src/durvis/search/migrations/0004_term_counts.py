"""Issue 19: the index keeps each term's document frequency (objects of a kind having it) and
each kind's number of objects, counted here once from the index as it stands."""

from django.db import migrations, models

FILL = [
    "INSERT INTO search_searchtermcount (kind, word, objects_with) "
    "SELECT kind, word, count(*) FROM search_searchentryword "
    "WHERE weight <> 3 GROUP BY kind, word",  # 3: Weight.CODE, a code's row, not a term
    "INSERT INTO search_searchindexsize (kind, objects_in) "
    "SELECT kind, count(*) FROM search_searchentry GROUP BY kind",
]
EMPTY = ["DELETE FROM search_searchtermcount", "DELETE FROM search_searchindexsize"]


class Migration(migrations.Migration):

    dependencies = [
        ('search', '0003_weights_and_synonyms'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchIndexSize',
            fields=[
                ('kind', models.CharField(max_length=40, primary_key=True, serialize=False)),
                ('objects_in', models.IntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='SearchTermCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=40)),
                ('word', models.CharField(max_length=100)),
                ('objects_with', models.IntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('kind', 'word'), name='unique_search_term_count')],
            },
        ),
        migrations.RunSQL(FILL, EMPTY),
    ]
