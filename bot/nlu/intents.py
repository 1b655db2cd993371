"""The intent of a message, from rules tried in a fixed order of precedence.

Precedence, strongest first: a red flag (EMERGENCY), a carrier keyword, a language request, then the rules of
`_RULES` in order: requests to stop, to talk to a human or to start over outrank the booking tasks; the tasks
outrank yes/no ("non, je veux annuler" cancels); yes/no outrank thanks and greetings ("non merci" is no).
Two rules are special:

- a cancel that also asks for another appointment ("annuler et reprendre un autre rdv") is a RESCHEDULE;
- a yes or no that corrects the date ("oui mais plutôt jeudi", "no, actually friday") is NONE with its `when`:
  the engine reads a new `when` as a correction of the one it offered.
"""

from __future__ import annotations

import re

from bot.nlu.model import Intent, Keyword, Language, Urgency, When

_RDV = r"(?:rendez-vous|appointments?|consultations?)"
_UP_TO_3_WORDS = r"(?:\W+[\w'-]+){0,3}?\W+"

_STOP = (
    r"\b(?:arrete[rz]?|cesse[rz]?|stop|quit)\b\W+(?:de |d')?(?:m'ecrire|m'envoyer|me texter|me contacter|m'appeler"
    r"|me deranger|texting|messaging|calling|sending|contacting|writing)",
    r"\b(?:unsubscribe|desabonn\w*|desinscri\w*|opt[- ]?out)\b|don't (?:text|message|contact) me",
    r"\b(?:plus|pu|no more)(?: recevoir| avoir)? (?:de |d')?(?:messages?|textos?|texts?|sms|rappels?|reminders?)\b",
)
_START = (r"\b(?:reabonn\w*|resubscribe|opt[- ]?in)\b",)
_HUMAN = (
    rf"\b(?:parler|jaser|discuter)\b{_UP_TO_3_WORDS}(?:quelqu'un|personne|humain|agent|receptionniste|secretaire"
    r"|infirmiere)\b",
    r"\b(?:vraie personne|etre humain|un humain|real person|human|agent|receptionist|receptionniste|secretaire)\b",
    r"\b(?:talk|speak|chat) (?:to|with) (?:someone|somebody|a person|staff|the clinic|reception|(?:a|the) nurse)\b",
    r"\b(?:call me|give me a call|appelez[- ]moi|appelle[- ]moi|rappelez[- ]moi|telephonez[- ]moi)\b",
    r"\b(?:m'appeler|me rappeler|me telephoner)\b",
    r"\b(?:numero de (?:telephone|la clinique)|phone number)\b",
)
_RESTART = (
    r"\b(?:recommenc\w*|start over|restart|reset|reprendre (?:du|au) debut|from the (?:start|beginning))\b",
    r"\b(?:retour au (?:debut|menu)|back to (?:the )?(?:start|menu|beginning))\b",
)
_RESCHEDULE = (
    r"\b(?:deplac\w*|deplas\w*|report(?:er|e|ez|erais)|repouss\w*|reschedul\w*|postpone\w*|rebook\w*|remettre)\b",
    rf"\b(?:chang|modifi)\w*{_UP_TO_3_WORDS}(?:{_RDV}|date|heure|journee|jour|time|day|booking)\b",
    r"\bmove (?:my|the|it|our)\b|\bpush (?:it|my appointment|the appointment) back\b",
)
# "des annulations", "cancellation list": the patient asks for a freed slot, not to cancel.
_WAITING_LIST = (
    r"\b(?:des annulations|liste d'(?:annulation|attente)|cancellation list|waiting list|wait ?list"
    r"|any cancellations)\b",
)
_CANCEL = (
    r"\b(?:plus|pu|no longer) besoin (?:du|de mon|de|d'un) rendez-vous",
    r"\b(?:don't|no longer) need (?:the|my) appointment",
    r"\b(?:annul\w*|anul\w*|cancel\w*|decommand\w*)\b",
    r"\b(?:pourrai|pourrais|peux|pourra|vais) (?:pas|plus|pu) (?:y )?(?:aller|venir|etre la|etre present\w*"
    r"|me presenter)\b",
    r"\b(?:viendrai|viendrais) (?:pas|plus|pu)\b|\bserai (?:pas|plus|pu) (?:la|present\w*|disponible)\b",
    r"\b(?:can't|cannot|won't) (?:make it|come|attend|be there)\b",
    r"\b(?:won't|will not|not) be able to (?:make it|come)\b",
)
_MY_APPOINTMENTS = (
    r"^\W*c'est quand\W*$",
    rf"\bconfirmer (?:mon|l'heure de mon) {_RDV}",
    rf"\bquand\b{_UP_TO_3_WORDS}(?:mon|mes|le|ma) (?:prochain )?{_RDV}",
    rf"\b(?:mon|mes|le) (?:prochain )?{_RDV}\b(?:\W+[\w'-]+){{0,2}}?\W+(?:quand|quelle heure|quel jour|quelle date)\b",
    rf"\b(?:quelle heure|quel jour|quelle date)\b{_UP_TO_3_WORDS}(?:mon|mes) (?:prochain )?{_RDV}",
    rf"\b(?:j'ai-tu|j'ai tu|est-ce que j'ai|ai-je|si j'ai) (?:encore |toujours )?(?:un|des) {_RDV}",
    rf"\b(?:mes {_RDV}|(?:verifier|checker|voir|consulter) (?:mon|mes) (?:prochain )?{_RDV})",
    r"\b(?:when|what time|what day|which day)\b(?:\W+[\w'-]+){0,2}?\W+my (?:next )?(?:appointment|booking)",
    r"\b(?:do|did) i (?:still )?have (?:an?|any) (?:appointment|booking)",
    r"\bmy (?:next |upcoming )?appointments\b|\bmy next appointment\b|\b(?:check|see) my appointment",
)
_BOOK = (
    r"\b(?:prendre|avoir|obtenir|booker|reserver|fixer|ceduler|planifier|besoin|veux|voudrais|aimerais|souhaite"
    r"|cherche|need|want|like|get|book|make|schedule)\b"
    rf"{_UP_TO_3_WORDS}(?:{_RDV}|place|booking|visit|check-?up|examen|suivi|follow-?up)\b",
    r"\b(?:voir|consulter|rencontrer|see)\b(?:\W+[\w'-]+){0,2}?\W+(?:medecin|docteur|doc|dr|dre|doctor|nurse"
    r"|infirmiere|physician|quelqu'un|someone)\b",
    r"\b(?:consulter|book|booker|reserver|ceduler)\b",
    r"\b(?:disponibilites?|dispos?|available|availability|openings?(?! hours)|de la place|des places|une place"
    r"|des plages)\b",
    r"\b(?:avez-vous|vous avez|auriez-vous|do you have|is there) (?:quelque chose|rien|anything|something)\b",
    r"\b(?:can|could) i come in\b",
)
_NO = (
    r"^\W*(?:non|nan|nope|nah|no|pas vraiment|pas ca|not really|negatif|aucune?|none|neither|ni l'un)(?![\w.])",
    r"\b(?:ca|ce|c') ?(?:ne |n')?(?:me |m')?(?:marche|va|convient|adonne|fait) pas\b|\bc'est pas (?:bon|correct)\b",
    r"\b(?:doesn't|does not|won't|don't) work\b|\bno thanks\b|👎",
    r"\b(?:pas besoin|no need|laisse(?:z)? faire|pantoute|never ?mind|oublie(?:z)? ca)\b",
)
_YES = (
    r"^\W*(?:oui|ouais|ouin|ouep|yes|yeah|yep|yup|ya|yea|ok|certain|certainement|parfait|perfect|d'accord|exact"
    r"|exactement|correct|absolument|bien sur|of course|sure|confirme\w*|confirm|super|excellent|great|go|vas-y"
    r"|alright|avec plaisir|c'est (?:bon|beau|correct|parfait|ok)|ca (?:marche|me va|me convient|m'adonne))(?!\w)",
    r"\b(?:je confirme|i confirm|confirmed|sounds good|works for me|that works)\b|👍|👌|✅",
    r"\b(?:je serai la|j'y serai|i'll be there|will be there)\b",
)
_THANKS_FOR = (r"\b(?:merci|thanks|thank you)\W+(?:pour|for|de)\b",)
_MENTIONS_A_VISIT = (rf"\b(?:{_RDV}|medecin|docteur|doctor)\b",)
_HEALTH_QUESTION = (
    r"\b(?:mal|douleurs?) (?:a|au|aux|de|dans) (?:la |le |les |l'|mon |ma |mes )?(?:tete|gorge|dos|ventre|oreilles?"
    r"|dents?|coeur|estomac|genoux?|jambes?|bras|pieds?|yeux|oeil|cou|epaule|hanche|cheville|reins?|sinus)\b",
    r"\b(?:fievre|temperature|toux|tousse|rhume|grippe|covid|vomi\w*|diarrhee|nausees?|migraine|infection"
    r"|eruption|boutons|allergi\w*|enceinte|saign\w*|enfle\w*|otite|blessure|entorse|fracture|urgence"
    r"|symptomes?|effets? secondaires?|vaccin\w*|prise de sang|mal partout|malade|me sens pas bien|chute|bosse)\b",
    r"\b(?:advil|tylenol|motrin|aspirine?|ibuprofene?|acetaminophene?|antibiotiques?|antibiotics?|medicaments?"
    r"|medication|medicine|pilules?|pills?|sirop|doses?|dosage|posologie|benadryl|gravol)\b",
    r"\b(?:fever|cough\w*|flu|sore throat|headache|stomach ?ache|rash|pain|hurts?|vomit\w*|diarrh\w*|nause\w*"
    r"|pregnan\w*|bleed\w*|swollen|swelling|dizz\w*|sick|unwell|sprain\w*|symptoms?|side effects?|vaccine"
    r"|blood test)\b",
    r"\b(?:est-ce (?:que c'est )?(?:grave|normal|dangereux)|c'est-tu (?:grave|normal)|est-ce normal)\b",
    r"\b(?:is (?:it|this|that) (?:normal|serious|dangerous)|should i (?:take|worry)|can i take)\b",
    r"\b(?:est-ce que je (?:peux|devrais|dois) prendre|je peux-tu prendre)\b",
)
_HELP = (
    r"^\W*\?[?\s]*$",
    r"\b(?:aide|aidez-moi|help|assistance|menu|options)\b",
    r"\b(?:comprends?|comprend) (?:pas|rien)\b|\bpas compris\b|\bmal compris\b|don't (?:understand|get it)\b",
    r"\bcomment (?:ca|cela) (?:marche|fonctionne)\b|\bhow does (?:this|it) work\b|\bwhat can (?:you|i) do\b",
)
_CLINIC_INFO = (
    r"\b(?:adresse|address|ou (?:etes|est)[- ]vous|ou vous etes|ou se trouve|where are you|where is the clinic"
    r"|located|heures? d'ouverture|vos heures|horaires?|opening hours|your hours|business hours)\b",
    r"\b(?:(?:etes|est)[- ]vous|vous etes|are you|is the clinic|la clinique est) (?:ouverts?|open|fermee?s?|closed)\b",
    r"\b(?:ouvr\w+|ferm\w+|open|close)(?: vous)? (?:a|at) quelle heure\b|\bwhat time do you (?:open|close)\b",
)
_THANKS = (r"\b(?:merci|thanks|thank you|remercie)\b|🙏",)
_GREETING = (r"\b(?:bonjour|bonsoir|bon matin|allo|salut|hi|hello|hey|good (?:morning|afternoon|evening))\b",)
_UNRELATED_TOPIC = (
    r"\b(?:meteo|weather|wifi|wi-fi|mot de passe|password|vendez|vendre|sell|masques?|masks?|prix|price|cost|combien"
    r"|stationnement|parking|pizza|blague|joke|emploi|job|hockey|bitcoin|loto|lottery|restaurant|recette|recipe"
    r"|film|movie|netflix|taxi|uber|autobus|adresse|address|ouvert\w*|open)\b",
)


def _rule(intent: Intent, patterns: tuple[str, ...]) -> tuple[Intent, re.Pattern[str]]:
    return intent, re.compile("|".join(patterns))


_RULES = (
    _rule(Intent.STOP, _STOP),
    _rule(Intent.START, _START),
    _rule(Intent.HUMAN, _HUMAN),
    _rule(Intent.RESTART, _RESTART),
    _rule(Intent.RESCHEDULE, _RESCHEDULE),
    _rule(Intent.BOOK, _WAITING_LIST),
    _rule(Intent.CANCEL, _CANCEL),
    _rule(Intent.MY_APPOINTMENTS, _MY_APPOINTMENTS),
    _rule(Intent.BOOK, _BOOK),
    _rule(Intent.NO, _NO),
    _rule(Intent.YES, _YES),
    _rule(Intent.THANKS, _THANKS_FOR),  # "merci pour le rdv" thanks, it does not book
    _rule(Intent.BOOK, _MENTIONS_A_VISIT),  # "rdv demain svp", "un médecin ce soir?"
    _rule(Intent.HEALTH_QUESTION, _HEALTH_QUESTION),
    _rule(Intent.CLINIC_INFO, _CLINIC_INFO),
    _rule(Intent.HELP, _HELP),
    _rule(Intent.THANKS, _THANKS),
    _rule(Intent.GREETING, _GREETING),
    _rule(Intent.OUT_OF_SCOPE, _UNRELATED_TOPIC),
)
_KEYWORD_INTENTS = {
    Keyword.OPT_OUT: Intent.STOP,
    Keyword.OPT_IN: Intent.START,
    Keyword.HELP_FR: Intent.HELP,
    Keyword.HELP_EN: Intent.HELP,
    Keyword.INFO: Intent.HELP,
}
_ANOTHER_APPOINTMENT = re.compile(
    r"\b(?:reprendre|un autre|une autre|nouveau|nouvelle|rebook|another|a new|new one|plutot|instead)\b"
)
_CORRECTION = re.compile(r"\b(?:plutot|mais|en fait|finalement|instead|rather|actually|but)\b")
# A question we have no rule for ("vous êtes ouverts le dimanche?") is out of scope; a short one ("quoi?") is not.
_FEWEST_WORDS_OF_AN_UNRELATED_QUESTION = 3


def classify(
    normalised: str,
    *,
    urgency: Urgency | None,
    keyword: Keyword | None,
    language_switch: Language | None,
    when: When | None,
) -> Intent:
    """The intent of a normalised message, given what the other readers found in it."""
    if urgency is not None:
        return Intent.EMERGENCY
    if keyword is not None:
        return _KEYWORD_INTENTS[keyword]
    if language_switch is not None:
        return Intent.CHANGE_LANGUAGE
    intent = next((intent for intent, pattern in _RULES if pattern.search(normalised)), None)
    if intent is None:
        return _without_rule(normalised, when)
    if intent is Intent.CANCEL and _ANOTHER_APPOINTMENT.search(normalised):
        return Intent.RESCHEDULE
    if intent in (Intent.YES, Intent.NO) and when is not None and _CORRECTION.search(normalised):
        return Intent.NONE
    return intent


def _without_rule(normalised: str, when: When | None) -> Intent:
    is_question = "?" in normalised and len(normalised.split()) >= _FEWEST_WORDS_OF_AN_UNRELATED_QUESTION
    return Intent.OUT_OF_SCOPE if is_question and when is None else Intent.NONE
