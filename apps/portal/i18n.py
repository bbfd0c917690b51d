"""French by default, English on request: Accept-Language, or the switch (a cookie)."""

from __future__ import annotations

from typing import Literal

Lang = Literal["fr", "en"]

_TEXT: dict[str, tuple[str, str]] = {
    # key: (français, English)
    "title": ("Portail téléphonie", "Telephony portal"),
    "login": ("Connexion", "Log in"),
    "logout": ("Se déconnecter", "Log out"),
    "username": ("Identifiant", "Username"),
    "password": ("Mot de passe", "Password"),
    "bad_login": ("Identifiant ou mot de passe incorrect.", "Wrong username or password."),
    "too_many": (
        "Trop d'essais : réessayez dans quelques minutes.",
        "Too many attempts: try again in a few minutes.",
    ),
    "switch": ("English", "Français"),
    "skip": ("Aller au contenu", "Skip to content"),
    "my_forwards": ("Mes renvois", "My forwards"),
    "no_forward": ("Aucun renvoi.", "No forward."),
    "type": ("Type", "Type"),
    "destination": ("Destination", "Destination"),
    "state": ("État", "State"),
    "on": ("actif", "on"),
    "off": ("inactif", "off"),
    "unconditional": ("immédiat", "unconditional"),
    "noanswer": ("sur non-réponse", "on no answer"),
    "busy": ("sur occupation", "on busy"),
    "set_forward": ("Renvoyer", "Set forward"),
    "number": ("Numéro", "Number"),
    "cancel_all": ("Annuler tous mes renvois", "Cancel all my forwards"),
    "done": ("Fait : ", "Done: "),
    "refused": ("Refusé : ", "Refused: "),
    "no_forwards_feature": (
        "Les renvois ne sont pas activés sur ce serveur.",
        "Forwards are not enabled on this server.",
    ),
    "forbidden": ("Accès refusé.", "Access denied."),
    "helpdesk": ("Assistance", "Helpdesk"),
    "explain": ("Pourquoi cet appel ?", "Why this call?"),
    "caller": ("Appelant (poste)", "Caller (extension)"),
    "dialed": ("Numéro composé", "Dialed number"),
    "at": ("Date et heure (AAAA-MM-JJTHH:MM)", "Date and time (YYYY-MM-DDTHH:MM)"),
    "verdict": ("Décision", "Decision"),
    "reason": ("Raison", "Reason"),
    "admin": ("Administration", "Administration"),
    "config": ("Fichiers de règles", "Rule files"),
    "loaded": ("chargés", "loaded"),
    "reloads": ("rechargements", "reloads"),
    "failed_reloads": ("échecs", "failed"),
    "last_error": ("Dernière erreur de rechargement", "Last reload error"),
    "none": ("aucune", "none"),
    "nodes": ("Serveurs", "Nodes"),
    "node": ("Serveur", "Node"),
    "version": ("Version", "Version"),
    "digest": ("Empreinte des règles", "Rules digest"),
    "calls": ("Appels en cours", "Calls in progress"),
    "agi_sessions": ("Sessions AGI", "AGI sessions"),
    "seen": ("Vu il y a", "Last seen"),
    "bad_time": ("Date invalide : ", "Invalid time: "),
    "secretary": ("Filtrage des responsables", "Bosses' filters"),
    "boss": ("Responsable", "Boss"),
    "filter": ("Filtrage", "Filter"),
    "vip": ("Liste VIP (appellent directement)", "VIP list (ring the boss directly)"),
    "vip_file": (
        "Du fichier filters.yaml (l'administrateur seul le modifie) :",
        "From filters.yaml (only its admin changes it):",
    ),
    "vip_added": ("Ajoutés par le secrétariat :", "Added by the secretaries:"),
    "vip_number": ("Numéro VIP à ajouter", "VIP number to add"),
    "vip_add": ("Ajouter aux VIP de", "Add to the VIPs of"),
    "vip_remove": ("Retirer", "Remove"),
    "turn_on": ("Activer le filtrage de", "Turn on the filter of"),
    "turn_off": ("Désactiver le filtrage de", "Turn off the filter of"),
    "no_boss": ("Aucun filtrage à gérer.", "No filter to manage."),
    "find_user": ("Trouver un utilisateur", "Find a user"),
    "find_what": ("Poste ou nom", "Extension or name"),
    "find": ("Chercher", "Search"),
    "nobody": ("Personne.", "Nobody."),
    "extension": ("Poste", "Extension"),
    "name": ("Nom", "Name"),
    "department": ("Service", "Department"),
    "devices": ("Téléphones", "Devices"),
    "pin": ("Code PIN", "PIN"),
    "locked": ("bloqué", "locked"),
    "unlocked": ("non bloqué", "not locked"),
    "unlock": ("Débloquer le PIN de", "Unlock the PIN of"),
    "decisions": ("Journal des décisions", "Decision log"),
    "search": ("Mots cherchés (ex. 5001 rights)", "Words to find (e.g. 5001 rights)"),
    "no_log": ("Aucun journal configuré (decision_log).", "No log configured (decision_log)."),
    "no_call": ("Aucun appel.", "No call."),
    "no_ari": ("Pas d'ARI configuré (ari: dans autocom.yaml).", "No ARI (ari: in autocom.yaml)."),
    "channel": ("Canal", "Channel"),
    "from": ("Appelant", "Caller"),
    "since": ("Depuis", "Since"),
    "where": ("Où", "Where"),
    "no_match": ("Rien trouvé.", "Nothing found."),
    "speed_dials": ("Mes numéros abrégés", "My speed dials"),
    "no_speed_dial": ("Aucun numéro abrégé.", "No speed dial."),
    "no_speed_dial_feature": (
        "Les numéros abrégés ne sont pas activés sur ce serveur.",
        "Speed dials are not enabled on this server.",
    ),
    "slot": ("Case (0 à 99)", "Slot (0 to 99)"),
    "label": ("Libellé", "Label"),
    "store": ("Enregistrer", "Store"),
    "delete": ("Effacer la case", "Delete slot"),
    "history": ("Historique des appels", "Call history"),
    "no_history_feature": (
        "L'historique des appels n'est pas activé (facturation des appels).",
        "Call history is not enabled (call accounting).",
    ),
    "dialed_call": ("Composé", "Dialed"),
    "received_call": ("Reçu", "Received"),
    "missed_call": ("Manqué", "Missed"),
    "when": ("Date", "When"),
    "kind": ("Sens", "Kind"),
    "other": ("Correspondant", "Other party"),
    "talk": ("Durée (s)", "Talk (s)"),
    "history_of": ("Historique de", "History of"),
    "change_pin": ("Changer mon code PIN", "Change my PIN"),
    "current_pin": ("Code PIN actuel (vide s'il n'y en a pas)", "Current PIN (empty if none)"),
    "new_pin": ("Nouveau code PIN", "New PIN"),
    "again_pin": ("Nouveau code PIN, encore", "New PIN again"),
    "pins_differ": ("Les deux nouveaux codes diffèrent.", "The two new PINs differ."),
    "my_department": ("Mon service", "My department"),
    "stats": ("Statistiques d'appels", "Call statistics"),
    "stats_month": ("Mois (AAAA-MM)", "Month (YYYY-MM)"),
    "stats_day": ("ou jour (AAAA-MM-JJ)", "or day (YYYY-MM-DD)"),
    "stats_from": ("ou du (AAAA-MM-JJ)", "or from (YYYY-MM-DD)"),
    "stats_to": ("au (inclus)", "to (included)"),
    "stats_show": ("Afficher", "Show"),
    "stats_calls": ("Appels", "Calls"),
    "stats_answered": ("Répondus", "Answered"),
    "stats_unanswered": ("Non répondus", "Unanswered"),
    "stats_talk": ("Durée totale", "Total time"),
    "stats_mean": ("Durée moyenne", "Mean time"),
    "stats_cost": ("Coût", "Cost"),
    "stats_all": ("Tous", "All"),
    "stats_outgoing": ("Sortants", "Outgoing"),
    "stats_incoming": ("Entrants", "Incoming"),
    "stats_internal": ("Internes", "Internal"),
    "stats_directions": ("Par sens", "By direction"),
    "stats_outcome": ("Issue des appels", "Outcome of the calls"),
    "stats_categories": ("Par catégorie", "By category"),
    "stats_destinations": (
        "Destinations les plus appelées (sortants)",
        "Top destinations (outgoing)",
    ),
    "stats_hours": ("Appels par heure", "Calls per hour"),
    "stats_hour": ("Heure", "Hour"),
    "stats_busiest": ("Heures les plus chargées", "Busiest hours"),
    "no_rights": ("Aucun fichier de droits chargé.", "No rights file loaded."),
}


# A service's outcome (autocom.services.Change.code) in words; {names} are its facts
_SAID: dict[str, tuple[str, str]] = {
    "vip_added": ("{number} ajouté aux VIP de {boss}.", "{number} added to the VIPs of {boss}."),
    "vip_removed": (
        "{number} retiré des VIP de {boss}.",
        "{number} removed from the VIPs of {boss}.",
    ),
    "vip_bad_number": (
        "« {number} » n'est pas un numéro de téléphone : écrivez des chiffres, avec un + au"
        " début s'il le faut (2 à 20 chiffres ; espaces, points et tirets sont ignorés),"
        " par exemple 0612345678.",
        "'{number}' is not a phone number: write digits, with a leading + if needed (2 to"
        " 20 digits; spaces, dots and dashes are ignored), e.g. 0612345678.",
    ),
    "vip_already": (
        "{number} est déjà dans les VIP de {boss}.",
        "{number} is already one of the VIPs of {boss}.",
    ),
    "vip_in_file": (
        "{number} est déjà VIP par le fichier filters.yaml de l'administrateur.",
        "{number} is already VIP by the admin's filters.yaml.",
    ),
    "vip_not_added": (
        "{number} n'a pas été ajouté par le secrétariat : la liste de filters.yaml se"
        " change auprès de l'administrateur.",
        "{number} was not added by a secretary: ask the admin to change filters.yaml.",
    ),
    "vip_full": (
        "{boss} a déjà {max} numéros VIP ajoutés : retirez-en un d'abord.",
        "{boss} already has {max} added VIP numbers: remove one first.",
    ),
    "store_down": (
        "la base d'état ne répond pas, rien n'a changé : réessayez dans un instant.",
        "the state store does not answer, nothing changed: try again in a moment.",
    ),
}


def said(lang: Lang, code: str, facts: dict[str, str]) -> str:
    """The words for a service's outcome ``code``; "" when the portal has none for it."""
    words = _SAID.get(code)
    if words is None:
        return ""
    return (words[1] if lang == "en" else words[0]).format_map(_Facts(facts))


class _Facts(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def pick(accept_language: str, cookie: str | None) -> Lang:
    """The cookie's choice, else the first of fr/en in Accept-Language, else French."""
    if cookie in ("fr", "en"):
        return "en" if cookie == "en" else "fr"
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag == "en":
            return "en"
        if tag == "fr":
            return "fr"
    return "fr"


def t(lang: Lang, key: str) -> str:
    fr, en = _TEXT[key]
    return en if lang == "en" else fr
