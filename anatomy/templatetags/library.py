import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe

register = template.Library()

# Characters that could end the <script> data block or open markup inside it.
_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def json_ld(data):
    """A schema.org JSON-LD block; a data block, so CSP does not execute it."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')  # noqa: S308 (escaped above)


@register.simple_tag(takes_context=True)
def absolute(context, path):
    return f"{context['site_url']}{path}"


@register.simple_tag(takes_context=True)
def breadcrumb_data(context, trail):
    site_url = context["site_url"]
    items = [{"name": "Home", "url": f"{site_url}/"}] + [
        {
            "name": str(getattr(node, "name", None) or node.title),
            "url": f"{site_url}{node.get_absolute_url()}",
        }
        for node in trail
    ]
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": item["name"], "item": item["url"]}
            for i, item in enumerate(items, start=1)
        ],
    }
