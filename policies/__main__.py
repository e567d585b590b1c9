"""Two ways in: the Pulumi policy runtime, and ``python -m policies check FILE...``.

The runtime (``python -m pulumi.policy <engine> <packDir>``) runs this file with ``runpy`` as a
plain script: no package, the pack folder on ``sys.path``. This folder is then loaded as the
package ``policies`` from its own location, whatever the folder is called (a published pack is
unpacked elsewhere), so every module has one identity and the provider's
``policies.trust_rules`` imports name the very same code.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys

PACKAGE_NAME = "policies"


def _load_pack_folder_as_package() -> None:
    pack_dir = pathlib.Path(__file__).resolve().parent
    spec = importlib.util.spec_from_file_location(
        PACKAGE_NAME, pack_dir / "__init__.py", submodule_search_locations=[str(pack_dir)]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the policy pack folder {pack_dir} as a package")
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE_NAME] = package
    spec.loader.exec_module(package)


if __package__:
    from policies.cli import main

    sys.exit(main(sys.argv[1:]))
else:
    _load_pack_folder_as_package()
    from policies.pack import serve

    serve()
