from modeltranslation.translator import TranslationOptions, register

from durvis.catalog.models import Category, LifeSituation, Service


@register(Category)
class CategoryTranslation(TranslationOptions):
    fields = ("name", "description")


@register(LifeSituation)
class LifeSituationTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Service)
class ServiceTranslation(TranslationOptions):
    fields = ("name", "summary", "description", "legal_acts")
