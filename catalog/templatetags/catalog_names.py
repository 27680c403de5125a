"""{{ brand|shop_name }}: a brand's, category's or shop item's name in the page's language."""

from django import template

from catalog.names import shop_name as _shop_name

register = template.Library()


@register.filter
def shop_name(obj) -> str:
    return _shop_name(obj)
