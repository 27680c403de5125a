"""The URLconf of bench_storefront: the shop's own URLs plus two baselines: a static
"hello" view (the request cycle and middleware, nothing read or rendered) and the bare
layout (base.html with no content: navigation, language menu, context processors)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from shop.urls import urlpatterns as shop_urlpatterns


def hello(request):
    return HttpResponse("hello", content_type="text/plain")


def layout(request):
    return render(request, "base.html")


urlpatterns = [path("bench/hello", hello), path("bench/layout", layout), *shop_urlpatterns]
