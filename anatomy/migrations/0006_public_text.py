"""`Article.public_text`: the summary and the teaser as plain text, so that a
locked article is found by its teaser as well as by its title and summary.
On PostgreSQL the vectors' weight D becomes that text (it was the summary
alone), computed again here as anatomy.search.index_fields() does.
"""

from django.db import migrations, models

from anatomy.search import body_text, public_text

MORE_MARKER = "<!-- more -->"  # Article.MORE_MARKER

PARTS = """
    SELECT article.id, article.title, article.summary, article.public_text,
        CASE WHEN facts.id IS NULL THEN '' ELSE split_part(article.search_text, E'\\n', 1) END AS facts,
        CASE WHEN facts.id IS NULL THEN article.search_text
            ELSE substr(article.search_text, length(split_part(article.search_text, E'\\n', 1)) + 2) END AS body
    FROM anatomy_article AS article LEFT JOIN anatomy_musclefacts AS facts ON facts.article_id = article.id
"""


def weighted(public_part):
    return f"""
UPDATE anatomy_article SET search_vector =
    setweight(to_tsvector('english'::regconfig, parts.title), 'A')
    || setweight(to_tsvector('english'::regconfig, parts.facts), 'B')
    || setweight(to_tsvector('english'::regconfig, parts.body), 'C')
    || setweight(to_tsvector('english'::regconfig, parts.{public_part}), 'D')
FROM ({PARTS}) AS parts
WHERE anatomy_article.id = parts.id
"""  # noqa: S608 (constant SQL)


def fill_public_text(apps, schema_editor):
    Article = apps.get_model("anatomy", "Article")
    articles = Article.objects.using(schema_editor.connection.alias).only("summary", "teaser", "body").order_by("pk")
    batch = []
    for article in articles.iterator(chunk_size=500):
        before, marker, _ = article.body.partition(MORE_MARKER)
        teaser = article.teaser or (before if marker else "")
        article.public_text = public_text(article.summary, body_text(teaser))
        batch.append(article)
        if len(batch) == 500:
            Article.objects.db_manager(schema_editor.connection.alias).bulk_update(batch, ["public_text"])
            batch = []
    Article.objects.db_manager(schema_editor.connection.alias).bulk_update(batch, ["public_text"])
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(weighted("public_text"))


def weigh_the_summary_alone_again(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(weighted("summary"))


class Migration(migrations.Migration):
    dependencies = [
        ("anatomy", "0005_search_public_weights"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="public_text",
            field=models.TextField(
                default="",
                editable=False,
                help_text="Summary and teaser as plain text: what search may match on a locked article.",
            ),
        ),
        migrations.RunPython(fill_public_text, weigh_the_summary_alone_again),
    ]
