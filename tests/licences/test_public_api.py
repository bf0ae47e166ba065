import approval.licences


def test_exported_names() -> None:
    assert set(approval.licences.__all__) == {
        "LicenceDocument",
        "LicenceFont",
        "LicenceFontMissing",
        "LicenceSigner",
        "OrganisationForm",
        "ScopeItem",
        "SignedLicence",
        "canonical_json",
        "credit_code_for",
        "find_licence_font",
        "is_individual_business_code",
        "render_licence_pdf",
        "sign_licence",
        "signer_from_settings",
        "verify_signature",
    }
    assert all(hasattr(approval.licences, name) for name in approval.licences.__all__)
