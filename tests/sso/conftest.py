from tests.sso.fixtures import oidc_provider, sso_settings  # noqa: F401 (fixtures)
