"""Red-flag words that call for 911 (and 9-8-8 for suicidal thoughts), in French and English.

Negations are not handled on purpose ("je n'ai pas de douleur à la poitrine" still flags): a needless 911
reminder costs far less than a missed one. Each pattern needs the symptom itself, not a body part alone, so
"radiographie de la poitrine", "mal de dos" and Québec's "pas mal" ("quite") do not flag.
"""

from __future__ import annotations

import re

from bot.nlu.model import Urgency

_CHEST = r"(?:poitrine|poitrinne|potrine|poitrin|thorax)"
_SUDDENLY = r"(?:soudain\w*|subitement|tout d'un coup|tout a coup|sudden\w*)"

_EMERGENCY_PATTERNS = (
    # chest pain, heart attack
    rf"(?:douleurs?|mal|serrements?|serre|poids|pression|oppression|brulures?)(?: \w+){{0,3}} (?:a|au|aux|dans|sur|de)"
    rf" (?:la |le |ma )?{_CHEST}",
    rf"douleurs? thoraciques?|{_CHEST} qui (?:serre|fait mal|brule|oppresse)",
    r"chest (?:pains?|pressure|tightness|hurts?|(?:is|feels) (?:tight|hurting|heavy))",
    r"(?:pain|pressure|tightness) in (?:my |the )?chest",
    r"tight chest|crise cardiaque|infarctus|heart attack|cardiac arrest|arret cardiaque",
    # breathing
    r"(?:difficultes?|troubles?|misere|peine|mal) (?:a|de) respir|difficultes? respiratoires?|detresse respiratoire",
    # "je respire plus facilement" and Québec's "je respire pas mal mieux" are good news
    r"respire (?:mal|pas(?! mal)|plus(?! facilement| mieux| bien)|pus?\b(?! facilement| mieux| mal mieux)"
    r"|difficilement)",
    r"(?:peux|peut|arrive|capable) (?:pas|plus|pus?) (?:a )?respirer",
    r"etouff|manque d'air|souffle court|a bout de souffle",
    r"(?:can't|cannot|can not|unable to) breath|(?:trouble|difficulty|hard|struggling|problems?) (?:to |with )?breath",
    r"short(?:ness)? of breath|can't catch my breath|choking|(?:not|isn't|stopped) breathing",
    r"levres (?:sont )?bleu|blue lips|lips (?:are|turning) blue",
    r"(?:devient|vient|est|tourne|virer?) (?:tout )?bleue?\b|(?:turning|turned|going) blue",
    r"respire (?:tres |trop )?vite|breathing (?:really |very )?fast|gasping",
    # stroke
    # "avc" is also SMS for "avec": "rdv avc la femme docteur" is no stroke
    r"(?<!rdv )\bavc\b(?! (?:la |le |l')?(?:dre?|docteu\w*|doc|gagnon|tremblay|roy|julie|infirm\w*|femme|medecin)\b)"
    r"|accident vasculaire|\bstroke\b",
    r"(?:visage|face|bouche) (?:est |qui )?(?:tout |toute )?(?:paralyse|croche|engourdi|tombe|fige|deforme)",
    r"parle (?:pu|plus|pas) comme du monde",
    r"face (?:is )?(?:drooping|droops|numb|paralyzed|paralysed)|facial droop|droopy face",
    r"bras (?:est |qui )?(?:engourdi|paralyse)|(?:engourdi|paralyse)e? d'un cote",
    r"(?:arm|face) (?:is |feels )?(?:numb|weak)|numb(?:ness)? on one side|slurred speech|slurring",
    r"sens (?:plus|pu|pas) (?:mon|ma|son|sa) (?:bras|jambe|visage)",
    r"can't (?:move|feel) my (?:left |right )?(?:arm|leg|face)",
    rf"{_SUDDENLY} (?:numbness|weakness|confusion|engourdissement|faiblesse)",
    r"parle tout croche|(?:bras|jambe|main|visage) (?:ne )?bouge (?:pas|plus|pus?)\b",
    rf"parle (?:mal|croche|tout croche) {_SUDDENLY}|{_SUDDENLY} (?:il |elle |je )?parle (?:mal|croche)",
    r"(?:misere|difficulte|peine|de la misere) a (?:parler|lever (?:son|sa|mon|ma) (?:bras|jambe))",
    r"(?:peut|peux|capable) (?:pas|plus|pus?) (?:lever|bouger) (?:son|sa|mon|ma|le|la) (?:bras|jambe)",
    r"vue (?:embrouillee|brouillee|trouble)\b.{0,60}(?:engourdi|paralyse|faible)",
    r"(?:engourdi|paralyse)\w* d'un coup|(?:can't|cannot) (?:talk|speak) (?:properly|right)",
    # a thunderclap headache: sudden, the worst ever
    r"worst headache (?:of my life|ever|i've ever had)|(?:pire|plus gros) mal de tete de (?:ma|sa) vie"
    rf"|(?:mal de tete|headache) (?:\w+ ){{0,3}}{_SUDDENLY}"
    rf"|{_SUDDENLY} (?:\w+ ){{0,2}}(?:mal de tete|headache)",
    # heavy bleeding
    r"saign\w* (?:beaucoup|abondamment|enormement|sans arret|trop|partout)|arrete (?:pas|plus|pus?) de saigner",
    r"saign\w* (?:et )?(?:ca )?(?:n')?arrete (?:pas|plus|pus?)|sang partout|blood everywhere",
    r"saign\w*(?: \w+){0,8} (?:ca |et ca |pis ca )?(?:n')?arrete (?:pas|plus|pus?)",
    r"hemorr?agie|saignements? (?:abondants?|importants?|graves?|majeurs?)|beaucoup de sang",
    r"heavy bleeding|bleeding (?:a lot|heavily|badly|profusely|won't stop)|lots of blood|a lot of blood|hemorrhag",
    r"(?:won't|wont|will not|doesn't|does not|can't|cannot) stop (?:the )?bleeding",
    # loss of consciousness, seizures
    r"perte de conscience|perd\w* (?:conscience|connaissance)|sans connaissance",
    r"inconscient|evanoui|tombe dans les pommes|s'est effondre|unconscious|passed out|fainted|unresponsive|collapsed",
    r"(?:pas|plus|pus?) consciente?\b|tout mou|toute molle",
    # a person who no longer reacts; "le système ne répond pas" is not one
    r"\b(?:il|elle|y|a|bebe)(?: ne| n')? (?:reagit|repond|bouge) (?:presque |quasiment )?(?:pas|plus|pus?)\b",
    r"se reveille (?:pas|plus)\b(?! tot| tard)|(?:won't|can't|not|isn't|is not|doesn't|does not) wak(?:e|es|ing) up",
    r"convuls|seizure|crise d'epilepsie",
    # a blow to the head followed by vomiting, confusion or drowsiness
    r"(?:hit|bumped|banged|cogne|frappe)\w* (?:\w+ )?(?:his|her|my|their|sa|la|ma) (?:head|tete)\b.{0,80}"
    r"(?:throw\w* up|vomi|confus|drowsy|somnolent|endormi|sleepy)",
    # severe allergic reaction
    r"reaction allergique (?:grave|severe|forte|importante)|anaphyla|choc allergique",
    r"(?:gorge|langue|levres?) (?:qui )?(?:enfle|gonfle|se ferme)",
    r"(?:throat|tongue|lips?) (?:is |are )?(?:swelling|swollen|closing)|swollen (?:throat|tongue)",
    r"(?:face|visage) (?:is |est )?(?:swelling|swollen|enfle|gonfle)|(?:visage|face) qui (?:enfle|gonfle)",
    r"severe allergic reaction|epipen|epi-pen",
    # overdose
    r"overdose|over dose|surdose|took too many pills|took (?:a bunch|a handful|a whole bottle) of",
    r"(?:pris|avale) (?:trop de|toute la bouteille de|tou(?:te)?s mes) (?:pilules|medicaments|comprimes)",
    # poisoning, a button battery: whoever swallowed it
    r"(?:avale|swallowed)\w* (?:\w+ ){0,5}(?:pilules?|medicaments?|comprimes?|pills?|meds|medications?|piles?"
    r"|batteries|battery|batterie|javel|bleach|poison)\b",
)

_CRISIS_PATTERNS = (
    r"suicid",
    r"\bme (?:tuer|mutiler|pendre|faire du mal)\b|m'enlever la vie|\ben finir\b|idees? noires?",
    r"mettre fin a (?:mes|ses|tes|ma|sa) (?:jours|vie)",
    r"(?:veux|veut|voudrais|envie de|vais) mourir|(?:veux|veut) (?:plus|pus?) vivre|(?:plus|pus?) envie de vivre",
    r"kill(?:ing)? (?:myself|my self|himself|herself|themselves)|end(?:ing)? (?:my|his|her|their) (?:own )?life"
    r"|end(?:ing)? it all|take (?:my|his|her|their) (?:own )?life",
    r"want to die|wanna die|better off dead|(?:don'?t|do not) want to (?:live|be alive)|self[- ]?harm",
    r"hurt(?:ing)? myself|cut(?:ting)? myself|(?:coupe|blesse|brule)e? volontairement|scarifi",
    r"(?:fait mal|blesse\w*|coupe\w*) (?:a )?moi-meme"
    r"|(?:me suis|je me) (?:fait mal|blesse|coupe)e? (?:expres|volontairement)",
    r"(?:don'?t|do not|can'?t|cannot) see (?:the|any) point (?:of|in) (?:living|life|going on)|no reason to live"
    r"|(?:aucune|pas de|plus de) raison de vivre|(?:sert|vaut) (?:a rien|pu la peine|plus la peine) de vivre",
    # on purpose: an overdose that is self-harm gets 9-8-8 (and 911, which that answer gives too)
    r"(?:pilules|medicaments|comprimes|pills)\w*(?: \w+){0,3} (?:expres|on purpose|volontairement)",
    r"overdosed? (?:\w+ ){0,3}on purpose|(?:plus|pus?) (?:le )?gout de vivre",
    r"(?:parle|parlait|pense) de se (?:tuer|suicider|pendre)",
    r"talk(?:s|ing|ed)? about (?:killing|hurting) (?:him|her)self",
    r"can't go on(?: anymore| any more)?|(?:peux|peut) (?:pas|plus|pus?) continuer comme ca|i have a plan",
    # "disparaître de votre liste" is an opt-out
    r"(?:envie de|veux|voudrais|want to|wanna) (?:juste )?dispara\w*\b"
    r"(?! (?:de|from) (?:votre|vos|la|ta|tes|cette|your|the)"
    r" (?:liste|list|envois|messages|textos|texts|systeme|system))",
    r"(?:dormir|sleep) (?:pour|for)(?: toujours| tjrs| tjs|ever)",
    r"(?:jamais|plus|pus?) me reveiller|never wake up",
)

_CRISIS = re.compile("|".join(_CRISIS_PATTERNS))
_EMERGENCY = re.compile("|".join(_EMERGENCY_PATTERNS))


def find_urgency(normalised: str) -> Urgency | None:
    """The red flag in a normalised message, the whole of it however long; a crisis outranks an emergency."""
    if _CRISIS.search(normalised):
        return Urgency.CRISIS
    if _EMERGENCY.search(normalised):
        return Urgency.EMERGENCY
    return None
