"""An import-linter contract: other apps use only an app's declared public face.

Each app's public modules are named in the contract (`services`, `queries`, `models`, `rules`,
`events` for every app, plus any listed as `<app>.<module>`); anything else in the app is private
to it. Packages whose every module is public (`core`, `web`) and importers that assemble the
project (`urls`, `api`, the demo) are listed too. Used by `make lint` through pyproject.toml.
"""

from __future__ import annotations

from typing import Any

from importlinter import Contract, ContractCheck, fields, output


class PublicFaceContract(Contract):
    container = fields.StringField()
    public_modules = fields.ListField(subfield=fields.StringField())
    also_public = fields.ListField(subfield=fields.StringField(), required=False)
    open_packages = fields.ListField(subfield=fields.StringField(), required=False)
    exempt_importers = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        container = str(self.container)
        public = {str(m) for m in self.public_modules}  # type: ignore[attr-defined]
        also = {f"{container}.{m}" for m in (self.also_public or [])}  # type: ignore[attr-defined]
        open_apps = {str(m) for m in (self.open_packages or [])}  # type: ignore[attr-defined]
        exempt = {f"{container}.{m}" for m in (self.exempt_importers or [])}  # type: ignore[attr-defined]
        breaches = []
        for module in sorted(graph.modules):
            parts = module.split(".")
            if len(parts) < 3 or parts[0] != container or parts[1] in open_apps:
                continue
            face = ".".join(parts[:3])
            if parts[2] in public or face in also:
                continue
            for importer in sorted(graph.find_modules_that_directly_import(module)):
                owner = ".".join(importer.split(".")[:2])
                if owner == ".".join(parts[:2]) or owner in exempt:
                    continue
                breaches.append(f"{importer} -> {module} (private to {parts[1]})")
        return ContractCheck(kept=not breaches, metadata={"breaches": breaches})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for breach in check.metadata["breaches"]:
            output.print_error(breach)
