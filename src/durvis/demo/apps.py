from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "durvis.demo"
    label = "demo"

    def ready(self) -> None:
        # The demo accounts' authenticator codes on the staff sign-in page (demo mode only).
        from durvis.demo.aids import demo_totp_code
        from durvis.identity.services import SIGN_IN_AIDS, SignInAid

        SIGN_IN_AIDS.register(SignInAid("demo.totp", demo_totp_code))
