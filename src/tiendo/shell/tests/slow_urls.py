import time

from django.http import HttpResponse
from django.urls import path


def slow(request):
    time.sleep(120)  # a request stuck for minutes, as the probe's narrative template was
    return HttpResponse("done")


def fast(request):
    return HttpResponse("ok")


urlpatterns = [path("slow", slow), path("fast", fast)]
