"""Allow ``python -m entretien_forms``."""

from entretien_forms.cli import main

main()
