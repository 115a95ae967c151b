"""The ``switchboard`` command line: one parser, one function per subcommand.

Exit codes: 0 ok, 1 problems found (invalid tenant, failed story, bad rows), 2 usage or setup error.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from switchboard.cli import paths
from switchboard.cli.output import say, warn
from switchboard.cli.rest import DEFAULT_URL

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="switchboard", description="Make, check, train and test Switchboard tenants (each a Rasa 3 project)."
    )
    parser.add_argument(
        "--tenants-dir", type=Path, default=None, help="folder of tenant folders (default: the repository's tenants/)"
    )
    commands = parser.add_subparsers(dest="command", metavar="command", required=True)

    tenant = commands.add_parser("tenant", help="manage tenant folders").add_subparsers(
        dest="tenant_command", metavar="command", required=True
    )
    new = tenant.add_parser("new", help="scaffold a tenant that validates and trains as written")
    new.add_argument("tenant_id", help="2-32 characters: lowercase letters, digits and '-'")
    new.add_argument("--name-zh", default="", help="the tenant's name in Chinese (default: the id)")
    new.add_argument("--name-en", default="", help="the tenant's name in English (default: the id)")
    new.add_argument("--languages", default="zh,en", help="comma-separated; the first is the default (zh,en)")

    check = commands.add_parser("validate", help="check tenants; every problem with its file and line")
    check.add_argument("tenant_ids", nargs="*", metavar="id", help="tenants to check (default: all)")
    check.add_argument("--errors-only", action="store_true", help="leave warnings out")

    train = commands.add_parser("train", help="validate, then train the NLU and dialogue models")
    train.add_argument("tenant_ids", nargs="*", metavar="id", help="tenants to train (default: all)")
    train.add_argument("--encoder", choices=("none", "usem3"), default="usem3", help="NLU sentence encoder")
    train.add_argument("--nlu-only", action="store_true", help="train only the NLU model")
    train.add_argument("--dialogue-only", action="store_true", help="train only the dialogue model")

    kb = commands.add_parser("kb", help="the tenant's knowledge base").add_subparsers(
        dest="kb_command", metavar="command", required=True
    )
    kb_import = kb.add_parser("import", help="a CSV (topic,language,title,text[,keywords]) or a markdown file")
    kb_import.add_argument("tenant_id")
    kb_import.add_argument("file", type=Path)
    kb_import.add_argument("--topic", help="markdown only: the topic (default: from the file name)")
    kb_import.add_argument("--language", help="markdown only: zh or en (default: from the file name)")
    kb_import.add_argument("--force", action="store_true", help="overwrite existing knowledge files")

    shell = commands.add_parser("shell", help="chat with a tenant through the running system")
    shell.add_argument("tenant_id")
    shell.add_argument("--url", default=DEFAULT_URL, help=f"the ingest service (default {DEFAULT_URL})")

    test = commands.add_parser("test", help="run tests/test_stories.yml through the running system")
    test.add_argument("tenant_id")
    test.add_argument("--url", default=DEFAULT_URL, help=f"the ingest service (default {DEFAULT_URL})")
    test.add_argument("--nlu", action="store_true", help="also cross-validate the NLU data (per-intent report)")
    test.add_argument("--no-stories", action="store_true", help="skip the stories (no running system needed)")
    test.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    test.add_argument("--encoder", choices=("none", "usem3"), default="none", help="NLU encoder for --nlu")

    deploy = commands.add_parser("deploy", help="Kubernetes manifests of the tenants").add_subparsers(
        dest="deploy_command", metavar="command", required=True
    )
    configmaps = deploy.add_parser(
        "configmaps", help="each tenant's files as a ConfigMap, and a kustomize Component that mounts them"
    )
    configmaps.add_argument("tenant_ids", nargs="*", metavar="id", help="tenants to write (default: all)")
    configmaps.add_argument(
        "--out",
        type=Path,
        default=paths.REPO_ROOT / "deploy" / "overlays" / "local" / "tenants",
        help="the Component's folder (default: deploy/overlays/local/tenants)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    tenants_dir: Path = args.tenants_dir or paths.tenants_dir()
    if args.command == "tenant":
        return _tenant_new(tenants_dir, args)
    if args.command == "validate":
        from switchboard.cli import validate

        if not tenants_dir.is_dir():
            warn(f"no tenants folder {tenants_dir}")
            return EXIT_USAGE
        missing = [tenant for tenant in args.tenant_ids if not (tenants_dir / tenant).is_dir()]
        if missing:
            warn(f"no tenant folder: {', '.join(str(tenants_dir / t) for t in missing)}")
            return EXIT_USAGE
        return validate.run(tenants_dir, args.tenant_ids, warnings=not args.errors_only)[0]
    if args.command == "train":
        from switchboard.cli.train import TrainRequest, run

        if args.nlu_only and args.dialogue_only:
            warn("--nlu-only and --dialogue-only exclude each other")
            return EXIT_USAGE
        request = TrainRequest(
            tenants_dir, args.tenant_ids, args.encoder, nlu=not args.dialogue_only, dialogue=not args.nlu_only
        )
        return run(request)
    if args.command == "deploy":
        return _deploy_configmaps(tenants_dir, args)
    if args.command == "kb":
        from switchboard.cli import kb_import

        return kb_import.run(
            tenants_dir / args.tenant_id, args.file, topic=args.topic, language=args.language, force=args.force
        )
    folder = tenants_dir / args.tenant_id
    if not folder.is_dir():
        warn(f"no tenant folder {folder}")
        return EXIT_USAGE
    if args.command == "shell":
        from switchboard.cli import shell

        return shell.run(folder, args.url)
    return _test(tenants_dir, folder, args)


def _tenant_new(tenants_dir: Path, args: argparse.Namespace) -> int:
    from switchboard.cli.scaffold import NewTenant, ScaffoldError, parse_languages, scaffold
    from switchboard.core.projects import validate_tenant

    try:
        request = NewTenant(args.tenant_id, {"zh": args.name_zh, "en": args.name_en}, parse_languages(args.languages))
        made = scaffold(tenants_dir, request)
    except ScaffoldError as error:
        warn(str(error))
        return EXIT_USAGE
    shown = os.path.relpath(made.folder) if made.folder.is_absolute() else str(made.folder)
    say(f"created {shown} ({len(made.files)} files)")
    say(f"console login: admin / {made.admin_password}   (shown once; only its hash is stored in agents.yaml)")
    problems = [p for p in validate_tenant(made.folder) if p.is_error]
    for problem in problems:
        say(problem.format(Path.cwd()))
    say(f"next: ./switchboard train {args.tenant_id}, then `make up` and ./switchboard shell {args.tenant_id}")
    return 1 if problems else 0


def _deploy_configmaps(tenants_dir: Path, args: argparse.Namespace) -> int:
    from switchboard.cli.deploy_configmaps import ConfigMapError, write

    if not tenants_dir.is_dir():
        warn(f"no tenants folder {tenants_dir}")
        return EXIT_USAGE
    try:
        written = write(tenants_dir, args.tenant_ids, args.out)
    except ConfigMapError as error:
        warn(f"error: {error}")
        return 1
    for path in written.removed:
        say(f"removed {path} (no longer asked for)")
    for configmap in written.configmaps:
        secrets = ", ".join(configmap.env_references) or "none"
        server = f", mounted by actions-{configmap.tenant_id}" if configmap.has_action_server else ""
        left_out = f"; left out: {', '.join(configmap.left_out)}" if configmap.left_out else ""
        say(f"{configmap.name}: {len(configmap.files)} files{server}; env: references {secrets}{left_out}")
    say(f"wrote {args.out}; add it to an overlay's components: and `kubectl apply -k` the overlay")
    return 0


def _test(tenants_dir: Path, folder: Path, args: argparse.Namespace) -> int:
    code = 0
    if not args.no_stories:
        from switchboard.cli.story_test import run_stories

        code = run_stories(folder, args.url)
        if code == EXIT_USAGE:
            return code
    if args.nlu:
        from switchboard.cli.nlu_report import cross_validate

        say(f"NLU cross-validation of {folder.name} ({args.folds} folds, encoder {args.encoder}):")
        report = cross_validate(tenants_dir, folder.name, args.folds, args.encoder)
        for line in report.lines():
            say(line)
    return code
