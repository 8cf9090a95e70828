"""Search vectors weighted title A, muscle facts B, body C and summary D, so
that articles locked to a reader can be searched by their public parts (A and
D) alone; until now the summary and the facts shared B, and D was unused.

Every vector is computed again in SQL, as anatomy.search.index_fields() does,
from the stored title, summary and `search_text`: the facts' words, a newline,
then the body's (the body alone for an article without facts), each on one line.
"""

from django.db import migrations

PARTS = """
    SELECT article.id, article.title, article.summary,
        CASE WHEN facts.id IS NULL THEN '' ELSE split_part(article.search_text, E'\\n', 1) END AS facts,
        CASE WHEN facts.id IS NULL THEN article.search_text
            ELSE substr(article.search_text, length(split_part(article.search_text, E'\\n', 1)) + 2) END AS body
    FROM anatomy_article AS article LEFT JOIN anatomy_musclefacts AS facts ON facts.article_id = article.id
"""

WEIGHTED = f"""
UPDATE anatomy_article SET search_vector =
    setweight(to_tsvector('english'::regconfig, parts.title), 'A')
    || setweight(to_tsvector('english'::regconfig, parts.facts), 'B')
    || setweight(to_tsvector('english'::regconfig, parts.body), 'C')
    || setweight(to_tsvector('english'::regconfig, parts.summary), 'D')
FROM ({PARTS}) AS parts
WHERE anatomy_article.id = parts.id
"""  # noqa: S608 (constant SQL)

# As before this migration, for going back to the code that expects it.
SHARED_B = f"""
UPDATE anatomy_article SET search_vector =
    setweight(to_tsvector('english'::regconfig, parts.title), 'A')
    || setweight(to_tsvector('english'::regconfig, parts.summary || ' ' || parts.facts), 'B')
    || setweight(to_tsvector('english'::regconfig, parts.body), 'C')
FROM ({PARTS}) AS parts
WHERE anatomy_article.id = parts.id
"""  # noqa: S608 (constant SQL)


def weigh_public_parts_apart(apps, schema_editor):
    # The vectors are PostgreSQL's; on SQLite the column stays empty.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WEIGHTED)


def share_weight_b_again(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SHARED_B)


class Migration(migrations.Migration):
    dependencies = [
        ("anatomy", "0004_illustration_files_locked"),
    ]

    operations = [
        migrations.RunPython(weigh_public_parts_apart, share_weight_b_again),
    ]
