from modeltranslation.translator import TranslationOptions, register

from durvis.identity.models import Institution


@register(Institution)
class InstitutionTranslation(TranslationOptions):
    fields = ("name",)
