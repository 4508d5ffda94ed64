from django.apps import AppConfig


class OpenReferralConfig(AppConfig):
    name = "openreferral"
    verbose_name = "Open Referral (HSDS) data exchange"
