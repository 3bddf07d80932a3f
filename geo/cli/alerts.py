"""Commands of the alerts: ``alerts`` (detect, list) and ``digest`` (notes de veille to partners)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from geo.alerts.detection import DEFAULT_ALPHA, DEFAULT_EARS_ALPHA, DetectionConfig
from geo.alerts.digest import build_digest, overdue_reports
from geo.alerts.digest_pdf import digest_pdf
from geo.alerts.mail import smtp_settings
from geo.alerts.partner_lookup import load_partner_directory
from geo.alerts.registry import OPEN_STATUSES, PUBLIC_KEYS, list_alerts, public_view
from geo.alerts.schedule import due_digests, render, send_digest
from geo.alerts.selection import METHODS
from geo.alerts.watch import run_watch
from geo.cli.output import emit, say
from geo.cli.scope import StructureRun, structure_failure, structure_runs
from geo.errors import InputError
from geo.export.safe_csv import write_csv
from geo.settings import Settings
from geo.store.database import Store
from geo.taxonomy import load_taxonomy


def _as_of(text: str | None, timezone: str) -> str:
    if text is None:
        return pd.Timestamp.now(tz=timezone).date().isoformat()
    try:
        return pd.Timestamp(text).date().isoformat()
    except ValueError as exc:
        raise InputError(f"--as-of attend une date AAAA-MM-JJ ; reçu {text!r}") from exc


def _alerts_of(store: Store, args: argparse.Namespace, settings: Settings, prefix: str) -> list[dict]:
    """Return the public views of one structure's alerts: detected now (``--detect``/``--as-of``) or open ones."""
    directory = load_partner_directory(store)
    config = DetectionConfig(alpha=args.alpha, ears_alpha=args.ears_alpha, method=args.method)
    if args.detect or args.as_of:
        as_of = _as_of(args.as_of, settings.timezone)
        alerts = run_watch(store, as_of=as_of, timezone=settings.timezone, directory=directory, config=config,
                           persist=args.detect)
        say(f"{prefix}{len(alerts)} alerte(s) au {as_of}" + (" (enregistrées)" if args.detect else
                                                                 " (non enregistrées)"))
        views = [{k: a[k] for k in PUBLIC_KEYS} for a in alerts]
    else:
        views = [public_view(a) for a in list_alerts(store, statuses=list(OPEN_STATUSES))]
        say(f"{prefix}{len(views)} alerte(s) ouverte(s)")
    if not directory.partners:
        say(f"{prefix}attention : aucun partenaire enregistré (python -m geo partners load) : alertes non routées")
    return views


def _cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    # --detect is what cron runs once for the whole database: every structure in turn (the named one with
    # --structure), each alert then naming its structure; a listing reads the structure opened only
    runs = structure_runs(settings, named=args.structure_code) if args.detect else \
        [StructureRun(None, None, settings)]
    views, columns, failed = [], list(PUBLIC_KEYS), 0
    for run in runs:
        try:
            found = _alerts_of(Store(run.settings.db_url), args, run.settings, run.prefix())
        except Exception as exc:
            message = structure_failure(exc)
            if len(runs) == 1 or message is None:
                raise
            say(f"{run.prefix()}erreur : {message}")  # the other structures' detection goes on
            failed += 1
            continue
        views += [{"structure": run.code, **v} for v in found] if run.code else found
    if any(run.code for run in runs):
        columns = ["structure", *columns]
    if args.format == "json":
        print(json.dumps(views, ensure_ascii=False))
    else:
        frame = pd.DataFrame(views, columns=columns)
        frame["report_ids"] = frame["report_ids"].map(" ".join)
        write_csv(frame, None, sep=",")
    return 1 if failed else 0


def _digest_items(store: Store, args: argparse.Namespace, settings: Settings, now: pd.Timestamp) -> list[tuple]:
    """Return ``(partner, mode, period, digest)`` of the notes this run sends for one structure's store."""
    directory = load_partner_directory(store)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    if args.due:
        def overdue(partner):  # noqa: ANN001, ANN202 - callback
            return len(overdue_reports(store, partner, directory=directory, timezone=settings.timezone, now=now))
        return [(d.partner, d.mode, d.period, render(store, d, directory=directory, taxonomy=taxonomy,
                                                     timezone=settings.timezone, now=now))
                for d in due_digests(store, directory, now=now, overdue_count=overdue)]
    partner = directory.get(args.partner)
    if partner is None:
        raise InputError(f"partenaire {args.partner!r} inconnu ; connus : {sorted(directory.partners)}")
    alerts = list(reversed(list_alerts(store, statuses=["nouvelle"], partner=partner.id)))
    digest = build_digest(store, partner, alerts, directory=directory, taxonomy=taxonomy,
                          territory=store.load_territory(), timezone=settings.timezone, now=now)
    return [(partner, "manual", now.isoformat(timespec="seconds"), digest)]


def _cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    if bool(args.due) == bool(args.partner):
        raise InputError("digest : donner --due ou --partner ID (l'un des deux)")
    now = pd.Timestamp.now(tz=settings.timezone) if args.now is None else pd.Timestamp(args.now, tz=settings.timezone)
    smtp = smtp_settings() if args.send else None
    summary = {"due": [], "sent": 0, "failed": 0, "errors": []}
    # --due is what cron runs once for the whole database: every structure in turn (the named one with
    # --structure); a partner's note is for the structure opened only
    runs = structure_runs(settings, named=args.structure_code) if args.due else [StructureRun(None, None, settings)]
    several = any(run.code for run in runs)
    if several:
        summary["by_structure"] = []
    for run in runs:
        prefix, figures = run.prefix(), {"structure": run.code, "due": 0, "sent": 0, "failed": 0}
        store = Store(run.settings.db_url)
        try:
            items = _digest_items(store, args, run.settings, now)
        except Exception as exc:
            message = structure_failure(exc)
            if not several or message is None:
                raise
            say(f"{prefix}erreur : {message}")  # the other structures' notes go on
            summary["failed"] += 1
            figures["failed"] += 1
            figures["error"] = message
            summary["errors"].append({"structure": run.code, "error": message})
            summary["by_structure"].append(figures)
            continue
        figures["due"] = len(items)
        named = {"structure": run.code} if several else {}
        for partner, mode, period, digest in items:
            summary["due"].append({**named, "partner": partner.id, "mode": mode, "period": period,
                                   "alerts": digest.alert_ids, "overdue": digest.overdue})
            if args.out:
                out = Path(args.out)
                if len(items) > 1 or several:
                    label = f"{run.code}-{partner.id}" if several else partner.id
                    out = out.with_name(f"{out.stem}-{label}{out.suffix or '.html'}")
                if out.suffix.lower() == ".pdf":
                    out.write_bytes(digest_pdf(digest))
                else:
                    out.write_text(digest.standalone_html(), encoding="utf-8")
                say(f"{prefix}note de veille de {partner.id} écrite dans {out}")
            if smtp is not None:
                result = send_digest(store, digest, mode=mode, period=period, smtp=smtp)
                if result.sent:
                    summary["sent"] += 1
                    figures["sent"] += 1
                    say(f"{prefix}envoyée à {partner.id} ({', '.join(partner.emails)}) en {result.attempts} "
                        "tentative(s)")
                else:
                    summary["failed"] += 1
                    figures["failed"] += 1
                    summary["errors"].append({**named, "partner": partner.id, "attempts": result.attempts,
                                              "error": result.error})
                    say(f"{prefix}échec de l'envoi à {partner.id} après {result.attempts} tentative(s) : "
                        f"{result.error} (les alertes restent « nouvelle »)")
        if several:
            summary["by_structure"].append(figures)
            if not items:
                say(f"{prefix}rien à envoyer")
    if not summary["due"] and not several:
        say("rien à envoyer")
    emit(summary)
    return 1 if summary["failed"] else 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this group's subcommands to ``python -m geo``."""
    alerts = sub.add_parser("alerts", parents=[common], help="détecter et lister les alertes (pics, règles)")
    alerts.add_argument("--as-of", metavar="DATE",
                        help="évaluer comme ce jour-là, avec les seuls signalements observés jusque-là")
    alerts.add_argument("--detect", action="store_true", help="lancer la détection et enregistrer les alertes")
    alerts.add_argument("--format", choices=("json", "csv"), default="json")
    alerts.add_argument("--method", choices=METHODS, default="auto", help="méthode (défaut : règle auto)")
    alerts.add_argument("--alpha", type=float, default=DEFAULT_ALPHA, help=f"seuil Farrington ({DEFAULT_ALPHA})")
    alerts.add_argument("--ears-alpha", type=float, default=DEFAULT_EARS_ALPHA,
                        help=f"seuil EARS ({DEFAULT_EARS_ALPHA})")
    alerts.set_defaults(run=_cmd_alerts)
    digest = sub.add_parser("digest", parents=[common], help="notes de veille aux partenaires (aperçu, envoi)")
    digest.add_argument("--due", action="store_true", help="ce qui est dû maintenant (pour cron / timer systemd)")
    digest.add_argument("--partner", metavar="ID", help="la note d'un partenaire")
    digest.add_argument("--send", action="store_true", help="envoyer par courriel (réglages VEILLE_SMTP_*)")
    digest.add_argument("--out", metavar="FILE", help="écrire la note en HTML (ou en PDF si FILE finit par .pdf)")
    digest.add_argument("--now", metavar="DATETIME", help=argparse.SUPPRESS)
    digest.set_defaults(run=_cmd_digest)
