"""The demo territory's content, as data: people, care teams, plans, appointments, notes.

Everything here is fictional: the villages of the Pays de Serre, the addresses, the RPPS
numbers. Phone numbers come from the blocks ARCEP reserves for fiction (04 65 71 xx xx,
06 39 98 xx xx), so no real person is ever called. Times are relative to the moment the
demo is loaded; :mod:`app.demo.territory` turns them into rows.
"""

from __future__ import annotations

from typing import NamedTuple

from app.models import ActionStatus, AppointmentKind, PlanItemKind, Profession, Role, TeamRole

# The territory has no row of its own; its name is for pages that present the demo.
CPTS = "CPTS du Pays de Serre"

TODO, IN_PROGRESS, DONE = ActionStatus.TODO, ActionStatus.IN_PROGRESS, ActionStatus.DONE
PROBLEM, GOAL, ACTION = PlanItemKind.PROBLEM, PlanItemKind.GOAL, PlanItemKind.ACTION
VISIT, HOME_VISIT = AppointmentKind.VISIT, AppointmentKind.HOME_VISIT
TELECONSULTATION = AppointmentKind.TELECONSULTATION


class Ago(NamedTuple):
    """A moment in the past: ``days`` days before today, at ``time`` (Paris wall-clock)."""

    days: int
    time: str


class AfterAlert(NamedTuple):
    """A moment ``minutes`` after Jeanne's urgent report of this morning (under 2 hours)."""

    minutes: int


class Person(NamedTuple):
    """An account; a professional also gets a Professional row."""

    first_name: str
    last_name: str
    role: Role
    joined: int  # days ago
    title: str = ""
    profession: Profession | None = None
    rpps: str = ""
    structure: str = ""
    phone: str = ""


class PatientFile(NamedTuple):
    """A patient's carnet: age, where they live, their conditions."""

    age: int
    birthday: int  # days since the last birthday, so that the age stays exact
    town: str
    home: str  # the address a home visit goes to
    conditions: tuple[str, ...]


class Member(NamedTuple):
    """A professional in a patient's care team, and what to call them for."""

    who: str
    role: TeamRole
    contact_for: str


class Caregiver(NamedTuple):
    """An aidant, linked to a patient, with the patient's consent grants (oldest first)."""

    who: str
    patient: str
    relationship: str  # a neutral key, translated when shown
    phone: str
    since: Ago
    grants: tuple[tuple[Ago, tuple[str, ...]], ...]


class AccessAsked(NamedTuple):
    """A professional outside the team asks a patient to see parts of the carnet."""

    who: str
    patient: str
    sections: tuple[str, ...]
    message: str
    when: Ago
    asked_by: str | None = None  # the team's coordinator, asking on their behalf


class Change(NamedTuple):
    """A later change of status of a plan item, or the cancellation of an appointment."""

    by: str
    when: Ago
    comment: str = ""
    to: ActionStatus = DONE


class Item(NamedTuple):
    """A line of a care plan outline, created by ``by`` with ``status``."""

    kind: PlanItemKind
    title: str
    by: str
    when: Ago | AfterAlert
    status: ActionStatus = IN_PROGRESS
    who: str | None = None  # responsible
    due: int | None = None  # days from today
    details: str = ""
    change: Change | None = None
    page: str = ""  # the slug of the educational page that helps with it


class Visit(NamedTuple):
    """An appointment ``day`` days from today (negative: past) at ``at``, Paris time."""

    day: int
    at: str
    minutes: int
    pro: str | None
    kind: AppointmentKind
    title: str
    place: str  # a key of PLACES, or "home"
    booked: Ago
    by: str
    details: str = ""
    cancelled: Change | None = None


class Ack(NamedTuple):
    """A professional acknowledged a report ``minutes`` after it was made."""

    by: str
    minutes: int


class Report(NamedTuple):
    """A symptom report; ``fires`` names the alert rules it set off."""

    patient: str
    code: str
    when: Ago | AfterAlert
    answers: dict
    by: str
    ack: Ack | None = None
    fires: tuple[str, ...] = ()


class NoteSpec(NamedTuple):
    """A liaison note; ``on_alert`` answers Jeanne's urgent report."""

    patient: str
    author: str
    when: Ago | AfterAlert
    body: str
    on_alert: bool = False


MSP = "Maison de santé de Saint-Julien-en-Serre"
HOSPITAL = "Centre hospitalier de Valserre"
HOSPITAL_ADDRESS = "15 avenue des Tilleuls, 26400 Valserre"

PEOPLE: dict[str, Person] = {
    "jeanne": Person("Jeanne", "Martin", Role.PATIENT, 70, phone="04 65 71 20 14"),
    "karim": Person("Karim", "Belkacem", Role.PATIENT, 95, phone="06 39 98 41 27"),
    "louise": Person("Louise", "Bernard", Role.PATIENT, 125, phone="06 39 98 63 05"),
    "claire": Person("Claire", "Martin", Role.CAREGIVER, 65),
    "lefevre": Person("Paul", "Lefèvre", Role.PROFESSIONAL, 150, "Dr", Profession.GP,
        "10003456781", MSP, "04 65 71 34 56"),
    "benali": Person("Amina", "Benali", Role.PROFESSIONAL, 150, "", Profession.NURSE,
        "10004567892", "Cabinet infirmier de Saint-Julien-en-Serre", "06 39 98 22 40"),
    "girard": Person("Sophie", "Girard", Role.PROFESSIONAL, 150, "", Profession.IPA,
        "10005678903", MSP, "04 65 71 34 57"),
    "dubois": Person("Marc", "Dubois", Role.PROFESSIONAL, 150, "", Profession.PHARMACIST,
        "10006789014", "Pharmacie du Vieux Pont, Saint-Julien-en-Serre", "04 65 71 34 90"),
    "roux": Person("Julie", "Roux", Role.PROFESSIONAL, 150, "", Profession.PHYSIOTHERAPIST,
        "10007890125", "Cabinet de kinésithérapie du Moulin, Saint-Julien-en-Serre",
        "04 65 71 35 12"),
    # Social workers and the DAC's coordinators are not health professionals: no RPPS.
    "moreau": Person("Lucas", "Moreau", Role.PROFESSIONAL, 150, "", Profession.SOCIAL_WORKER,
        "", "Centre médico-social de Valserre", "04 65 71 81 20"),
    "haddad": Person("Nadia", "Haddad", Role.PROFESSIONAL, 150, "", Profession.COORDINATOR,
        "", "DAC Serre et Vallées (dispositif d'appui à la coordination)", "04 65 71 81 75"),
    "garnier": Person("Thomas", "Garnier", Role.PROFESSIONAL, 150, "Dr", Profession.CARDIOLOGIST,
        "10008901236", f"{HOSPITAL}, service de cardiologie", "04 65 71 80 00"),
    "fontaine": Person("Élise", "Fontaine", Role.PROFESSIONAL, 150, "Dr", Profession.ONCOLOGIST,
        "10009012347", f"{HOSPITAL}, hôpital de jour d'oncologie", "04 65 71 80 40"),
    "perrin": Person("Camille", "Perrin", Role.PROFESSIONAL, 150, "Dr", Profession.GP,
        "10001234569", "Cabinet médical du Pradel, Le Pradel-sur-Serre", "04 65 71 52 10"),
    # Françoise writes content with the heart-failure patients' association: no patient data.
    "petit": Person("Françoise", "Petit", Role.EDITOR, 100),
    # Odile reviews the clarity of what Françoise writes (a draft needs a second editor).
    "lambert": Person("Odile", "Lambert", Role.EDITOR, 90),
}

PATIENTS: dict[str, PatientFile] = {
    "jeanne": PatientFile(
        74, 97, "Montferrand-de-Serre", "12 chemin des Granges, 26470 Montferrand-de-Serre",
        ("heart_failure", "diabetes_t2"),
    ),
    "karim": PatientFile(
        61, 210, "Roche-sur-Serre", "3 impasse du Lavoir, 26470 Roche-sur-Serre", ("copd",),
    ),
    "louise": PatientFile(
        52, 35, "Le Pradel-sur-Serre", "7 allée des Mûriers, 26470 Le Pradel-sur-Serre",
        ("cancer_follow_up",),
    ),
}

PLACES: dict[str, tuple[str, str]] = {
    "msp": (MSP, "2 place de la Mairie, 26470 Saint-Julien-en-Serre"),
    "kine": ("Cabinet de kinésithérapie du Moulin", "5 rue du Moulin, 26470 Saint-Julien-en-Serre"),
    "cardio": (f"{HOSPITAL}, consultations de cardiologie", HOSPITAL_ADDRESS),
    "onco": (f"{HOSPITAL}, hôpital de jour d'oncologie", HOSPITAL_ADDRESS),
    "pradel": ("Cabinet médical du Pradel", "1 rue de l'Église, 26470 Le Pradel-sur-Serre"),
    "radio": ("Cabinet de radiologie de Valserre", "22 boulevard de la Gare, 26400 Valserre"),
    "tele": ("Téléconsultation", ""),
}

TEAMS: dict[str, tuple[Member, ...]] = {
    "jeanne": (
        Member("lefevre", TeamRole.ATTENDING,
               "Pour mes ordonnances, mon traitement, et si je ne me sens pas bien"),
        Member("benali", TeamRole.MEMBER,
               "Pour mes prises de sang à la maison, mon pilulier, si je prends du poids"),
        Member("girard", TeamRole.MEMBER,
               "Pour le suivi de mon cœur entre deux consultations, si je suis plus essoufflée"),
        Member("garnier", TeamRole.MEMBER, "Pour mes rendez-vous du cœur à l'hôpital de Valserre"),
        Member("dubois", TeamRole.MEMBER,
               "Pour mes médicaments et les bandelettes de mon lecteur de glycémie"),
        Member("haddad", TeamRole.REFERENT,
               "Pour l'aide à la maison, et si je ne sais plus à qui demander"),
    ),
    "karim": (
        Member("lefevre", TeamRole.ATTENDING,
               "Pour mes ordonnances, mes vaccins, et si je respire moins bien"),
        Member("roux", TeamRole.MEMBER, "Pour mes séances de souffle et mes exercices à la maison"),
        Member("dubois", TeamRole.MEMBER, "Pour mes inhalateurs et mes patchs contre le tabac"),
    ),
    "louise": (
        Member("perrin", TeamRole.ATTENDING,
               "Pour mes ordonnances, mes arrêts de travail, et si j'ai mal"),
        Member("fontaine", TeamRole.MEMBER,
               "Pour mes rendez-vous de suivi à l'hôpital et mes résultats"),
        Member("dubois", TeamRole.MEMBER, "Pour mon traitement hormonal et ses effets gênants"),
        Member("haddad", TeamRole.REFERENT,
               "Pour trouver de l'aide près de chez moi : sport adapté, association"),
    ),
}

CAREGIVERS: tuple[Caregiver, ...] = (
    Caregiver(
        "claire", "jeanne", "daughter", "06 39 98 17 52", Ago(65, "18:30"),
        # What a caregiver sees until the patient decides otherwise.
        grants=((Ago(65, "18:35"), ("team", "plan", "appointments")),),
    ),
)

# Waiting for the patient's answer, on "Who can see my carnet".
ACCESS_REQUESTS: tuple[AccessAsked, ...] = (
    AccessAsked("moreau", "jeanne", ("team", "appointments"),
                "Pour préparer avec vous le dossier d'aide à domicile (APA), j'ai besoin de "
                "connaître votre équipe et vos rendez-vous.", Ago(1, "16:20"), "haddad"),
)

# The shared care plans (PPCS), as outlines: each goal belongs to the problem above it,
# each action to the goal above it.
PLANS: dict[str, tuple[Item, ...]] = {
    "jeanne": (
        Item(PROBLEM, "Insuffisance cardiaque", "lefevre", Ago(60, "10:40"),
             details="Le cœur pompe moins bien. Le corps garde plus d'eau et de sel."),
        Item(GOAL, "Éviter une nouvelle hospitalisation", "lefevre", Ago(60, "10:42"),
             details="Repérer tôt les signes d'alerte : prise de poids, essoufflement, "
             "chevilles gonflées."),
        Item(ACTION, "Me peser chaque matin et noter mon poids", "girard", Ago(52, "15:00"),
             who="jeanne", page="se-peser-chaque-matin",
             details="Sur la même balance, après avoir uriné, avant le petit-déjeuner. "
             "Si je prends 2 kg en 3 jours, je préviens mon équipe."),
        Item(ACTION, "Passage infirmier 2 fois par semaine", "benali", Ago(58, "12:15"),
             who="benali", details="Poids, tension, chevilles, et le pilulier de la semaine."),
        Item(ACTION, "Bilan sanguin (ionogramme, créatinine)", "lefevre", Ago(27, "10:20"),
             TODO, who="benali", due=-3, details="Prise de sang à domicile, à jeun.",
             change=Change("benali", Ago(3, "11:30"),
                           "Prise de sang faite à domicile. Résultats envoyés au Dr Lefèvre.")),
        Item(ACTION, "Consultation chez le cardiologue", "lefevre", Ago(27, "10:25"), TODO,
             who="garnier", due=16, details="Contrôle avec une échographie du cœur."),
        Item(ACTION, "Revoir le traitement du cœur", "lefevre", AfterAlert(90), TODO,
             who="lefevre", due=1,
             details="Prise de 2,1 kg en 3 jours : à voir à la consultation."),
        Item(GOAL, "Manger moins salé, sans supprimer le sel", "girard", Ago(52, "15:05")),
        Item(ACTION, "Atelier « Bien manger pour mon cœur »", "girard", Ago(52, "15:10"), TODO,
             who="girard", due=20,
             details="Atelier d'éducation thérapeutique à la maison de santé, en petit groupe."),
        Item(PROBLEM, "Diabète de type 2", "lefevre", Ago(60, "10:50"),
             details="Trop de sucre dans le sang. Avec le temps, il abîme les yeux, les reins, "
             "les nerfs des pieds."),
        Item(GOAL, "HbA1c autour de 7,5 %", "lefevre", Ago(60, "10:52"),
             details="L'HbA1c est une prise de sang. Elle montre mon sucre moyen des 3 "
             "derniers mois."),
        Item(ACTION, "Glycémie capillaire 2 matins par semaine", "benali", Ago(58, "12:20"),
             who="jeanne",
             details="Au bout du doigt, avec mon lecteur. Je note le résultat dans le carnet."),
        Item(ACTION, "Prise de sang HbA1c tous les 3 mois", "lefevre", Ago(60, "10:55"), TODO,
             who="benali", due=40),
        Item(ACTION, "Examen des pieds, au moins une fois par an", "lefevre", Ago(60, "10:56"),
             TODO, who="lefevre", due=1),
        Item(ACTION, "Fond d'œil chez l'ophtalmologue", "lefevre", Ago(60, "10:57"), TODO,
             who="jeanne", details="Je prends rendez-vous. Claire peut m'y conduire.",
             change=Change("lefevre", Ago(2, "18:10"), "Compte rendu de l'ophtalmologue "
                           "reçu : pas d'atteinte de la rétine.")),
        Item(PROBLEM, "Je vis seule, loin du bourg", "haddad", Ago(45, "14:00"),
             details="Ma maison est à 8 km de Saint-Julien. Ma fille Claire habite à Valserre."),
        Item(GOAL, "Rester chez moi en sécurité", "haddad", Ago(45, "14:05")),
        Item(ACTION, "Organiser le portage des repas", "claire", Ago(40, "19:30"), TODO,
             who="claire",
             change=Change("claire", Ago(5, "20:15"), "Dossier déposé à la mairie. Les repas "
                           "arrivent la semaine prochaine.", IN_PROGRESS)),
        Item(ACTION, "Installer la téléassistance", "haddad", Ago(45, "14:10"), TODO,
             who="claire",
             change=Change("claire", Ago(12, "18:00"),
                           "Boîtier installé, bracelet essayé avec maman.")),
        Item(ACTION, "Demander l'APA (aide personnalisée à l'autonomie)", "haddad",
             Ago(45, "14:15"), who="haddad",
             details="Le dossier part au Département. Une personne viendra ensuite à la "
             "maison pour évaluer les besoins."),
    ),
    "karim": (
        Item(PROBLEM, "BPCO (bronchite chronique obstructive)", "lefevre", Ago(90, "17:30"),
             details="Les bronches sont abîmées, surtout par le tabac. L'air passe moins bien."),
        Item(GOAL, "Mieux respirer au quotidien", "lefevre", Ago(90, "17:32")),
        Item(ACTION, "Réhabilitation respiratoire : 2 séances par semaine", "roux",
             Ago(35, "10:00"), who="roux",
             details="Vélo, renforcement des muscles, exercices de respiration, pendant "
             "8 semaines."),
        Item(ACTION, "Marcher 30 minutes chaque jour", "roux", Ago(35, "10:05"), who="karim",
             details="Même en plusieurs fois. Je ralentis si je suis trop essoufflé."),
        Item(ACTION, "Vérifier ma façon de prendre mes inhalateurs", "lefevre",
             Ago(90, "17:35"), TODO, who="dubois",
             change=Change("dubois", Ago(15, "11:45"),
                           "Technique revue à la pharmacie : elle est bonne.")),
        Item(ACTION, "Faire les explorations fonctionnelles respiratoires (EFR)", "lefevre",
             Ago(21, "17:55"), TODO, who="karim", due=45,
             details="Un examen du souffle chez le pneumologue, à Valserre. Je prends "
             "rendez-vous."),
        Item(GOAL, "Éviter les infections des bronches", "lefevre", Ago(90, "17:40")),
        Item(ACTION, "Vaccin contre la grippe, chaque automne", "lefevre", Ago(90, "17:42"),
             TODO, who="dubois",
             details="À la pharmacie, dès le début de la campagne de vaccination."),
        Item(ACTION, "Vaccin contre le pneumocoque", "lefevre", Ago(21, "17:50"), TODO,
             who="lefevre", due=10),
        Item(PROBLEM, "Tabac", "lefevre", Ago(30, "09:00")),
        Item(GOAL, "Arrêter de fumer", "lefevre", Ago(30, "09:02")),
        Item(ACTION, "Consultation d'aide à l'arrêt du tabac", "lefevre", Ago(30, "09:05"),
             TODO, who="lefevre",
             change=Change("lefevre", Ago(21, "17:45"),
                           "Arrêt décidé ce jour. Substituts nicotiniques prescrits.")),
        Item(ACTION, "Patchs et gommes à la nicotine", "lefevre", Ago(21, "17:46"),
             who="karim",
             details="Un patch chaque jour. Une gomme si l'envie de fumer est forte."),
        Item(ACTION, "Appeler Tabac Info Service (39 89) si j'en ai besoin", "dubois",
             Ago(20, "10:30"), TODO, who="karim"),
    ),
    "louise": (
        Item(PROBLEM, "Suivi après un cancer du sein", "perrin", Ago(120, "18:20"),
             details="Chirurgie et radiothérapie terminées il y a un an. Le suivi dure "
             "plusieurs années."),
        Item(GOAL, "Repérer tôt un retour de la maladie", "perrin", Ago(120, "18:22")),
        Item(ACTION, "Mammographie chaque année", "fontaine", Ago(40, "09:40"), TODO,
             who="louise", due=9,
             change=Change("louise", Ago(20, "12:35"), "Rendez-vous pris.", IN_PROGRESS)),
        Item(ACTION, "Consultation de suivi en oncologie tous les 6 mois", "fontaine",
             Ago(40, "09:45"), TODO, who="fontaine", due=30),
        Item(GOAL, "Bien vivre avec l'hormonothérapie", "fontaine", Ago(118, "10:00")),
        Item(ACTION, "Prendre mon hormonothérapie chaque jour", "fontaine", Ago(118, "10:05"),
             who="louise",
             details="Pendant plusieurs années. Je n'arrête pas sans en parler à mon médecin."),
        Item(ACTION, "Entretien pharmaceutique sur l'hormonothérapie", "perrin",
             Ago(60, "18:30"), TODO, who="dubois",
             change=Change("dubois", Ago(7, "17:30"), "Entretien fait. Conseils pour les "
                           "bouffées de chaleur. Dr Perrin prévenue.")),
        Item(PROBLEM, "Fatigue", "perrin", Ago(60, "18:40"),
             details="Une fatigue fréquente après un cancer et ses traitements."),
        Item(GOAL, "Reprendre une activité physique adaptée", "perrin", Ago(60, "18:42")),
        Item(ACTION, "Activité physique adaptée : 2 séances par semaine", "haddad",
             Ago(10, "11:00"), TODO, who="louise",
             change=Change("louise", Ago(3, "19:00"),
                           "Inscrite au groupe du mardi et du vendredi matin.", IN_PROGRESS)),
        Item(ACTION, "Trouver une association de patientes près de chez moi", "haddad",
             Ago(30, "14:00"), TODO, who="haddad",
             change=Change("haddad", Ago(6, "14:30"),
                           "Coordonnées de l'association envoyées à Mme Bernard.")),
        Item(GOAL, "Reprendre mon travail à mon rythme", "perrin", Ago(14, "18:20"), TODO),
        Item(ACTION, "Préparer un temps partiel thérapeutique avec le médecin du travail",
             "perrin", Ago(14, "18:22"), TODO, who="perrin", due=21),
    ),
}

# Appointments, from the oldest to the latest.
APPOINTMENTS: dict[str, tuple[Visit, ...]] = {
    "jeanne": (
        Visit(-27, "10:00", 20, "lefevre", VISIT, "Consultation de suivi", "msp",
              Ago(55, "10:30"), "lefevre"),
        Visit(-10, "14:30", 30, "girard", TELECONSULTATION, "Suivi du cœur en téléconsultation",
              "tele", Ago(24, "15:00"), "girard",
              "Le lien arrive par SMS la veille. Claire sera là pour aider."),
        Visit(-3, "08:00", 30, "benali", HOME_VISIT, "Passage infirmier à domicile", "home",
              Ago(10, "12:00"), "benali", "Prise de sang à jeun (ionogramme, créatinine)."),
        # Her next appointment: the browser tests expect Dr Lefèvre on her home page.
        Visit(1, "09:30", 20, "lefevre", VISIT, "Consultation de suivi", "msp",
              Ago(27, "10:15"), "lefevre",
              "Apporter le carnet de poids et la liste des médicaments."),
        Visit(3, "08:00", 30, "benali", HOME_VISIT, "Passage infirmier à domicile", "home",
              Ago(10, "12:05"), "benali"),
        Visit(16, "11:00", 30, "garnier", VISIT, "Consultation de cardiologie", "cardio",
              Ago(40, "09:00"), "garnier",
              "Échographie du cœur pendant la consultation. Apporter les dernières prises "
              "de sang."),
    ),
    "karim": (
        Visit(-21, "17:30", 30, "lefevre", VISIT, "Consultation d'aide à l'arrêt du tabac",
              "msp", Ago(30, "09:10"), "lefevre"),
        Visit(-12, "10:00", 45, "roux", VISIT, "Réhabilitation respiratoire", "kine",
              Ago(35, "10:10"), "roux"),
        Visit(-5, "10:00", 45, "roux", VISIT, "Réhabilitation respiratoire", "kine",
              Ago(35, "10:11"), "roux"),
        Visit(2, "10:00", 45, "roux", VISIT, "Réhabilitation respiratoire", "kine",
              Ago(35, "10:12"), "roux",
              cancelled=Change("roux", Ago(1, "08:40"),
                               "Séance annulée : le cabinet est fermé ce jour-là. Nouvelle "
                               "date à fixer.")),
        Visit(6, "10:00", 45, "roux", VISIT, "Réhabilitation respiratoire", "kine",
              Ago(35, "10:13"), "roux"),
        Visit(10, "17:30", 20, "lefevre", VISIT, "Consultation de suivi", "msp",
              Ago(21, "17:50"), "lefevre", "Vaccin contre le pneumocoque prévu."),
    ),
    "louise": (
        Visit(-40, "09:00", 30, "fontaine", VISIT, "Consultation de suivi en oncologie", "onco",
              Ago(118, "10:10"), "fontaine"),
        Visit(-14, "18:00", 20, "perrin", VISIT, "Consultation de suivi", "pradel",
              Ago(20, "08:30"), "perrin"),
        Visit(-7, "11:00", 30, "haddad", TELECONSULTATION, "Point avec la coordinatrice",
              "tele", Ago(10, "11:05"), "haddad"),
        Visit(9, "14:00", 30, None, VISIT, "Mammographie de contrôle", "radio",
              Ago(20, "12:30"), "louise", "Apporter les anciens clichés."),
        Visit(30, "09:30", 30, "fontaine", VISIT, "Consultation de suivi en oncologie", "onco",
              Ago(40, "09:50"), "fontaine", "Avec les résultats de la mammographie."),
    ),
}


def _hf(when, weight, breathlessness, ankles, night_cough, tiredness, *, by="jeanne",
        ack=None, comment="", fires=()) -> Report:
    """A line of Jeanne's heart-failure diary."""
    answers = {"weight": weight, "breathlessness": breathlessness, "ankles": ankles,
               "night_cough": night_cough, "tiredness": tiredness}
    if comment:
        answers["comment"] = comment
    return Report("jeanne", "heart_failure", when, answers, by, ack, fires)


# Jeanne's weight is steady, then rises by 2.1 kg in 3 days: this morning's report is urgent.
REPORTS: tuple[Report, ...] = (
    _hf(Ago(9, "08:15"), 71.2, 2, False, False, 3, ack=Ack("benali", 180)),
    _hf(Ago(8, "08:10"), 71.0, 2, False, False, 3, ack=Ack("benali", 200)),
    _hf(Ago(7, "08:20"), 71.3, 3, False, False, 4, ack=Ack("benali", 170)),
    _hf(Ago(6, "08:15"), 71.1, 2, False, False, 3, ack=Ack("benali", 190)),
    _hf(Ago(5, "19:40"), 71.0, 2, False, False, 3, ack=Ack("benali", 800),
        comment="Rempli le soir, j'avais oublié ce matin."),
    _hf(Ago(4, "08:25"), 71.2, 3, False, False, 3, ack=Ack("benali", 160)),
    _hf(Ago(3, "08:15"), 71.1, 2, False, False, 3, ack=Ack("benali", 150)),
    _hf(Ago(2, "08:20"), 71.9, 3, False, False, 4),
    _hf(Ago(1, "08:10"), 72.6, 4, True, False, 5, comment="Chevilles un peu gonflées le soir."),
    _hf(AfterAlert(0), 73.2, 5, True, True, 6, ack=Ack("girard", 45), fires=("weight_gain",),
        comment="Je suis plus essoufflée dans l'escalier."),
    Report("jeanne", "diabetes_t2", Ago(8, "08:30"),
           {"glycaemia": 1.38, "hypoglycaemia": 0, "foot_wound": False}, "jeanne",
           Ack("benali", 180)),
    Report("jeanne", "diabetes_t2", Ago(4, "08:35"),
           {"glycaemia": 1.52, "hypoglycaemia": 0, "foot_wound": False}, "jeanne"),
    Report("karim", "copd", Ago(14, "09:00"),
           {"breathlessness": 5, "cough": True, "sputum_colour": "white", "spo2": 93,
            "temperature": 36.9}, "karim", Ack("roux", 90)),
    Report("karim", "copd", Ago(10, "09:10"),
           {"breathlessness": 5, "cough": True, "sputum_colour": "white", "spo2": 93,
            "temperature": 37.1}, "karim", Ack("roux", 60)),
    Report("karim", "copd", Ago(7, "08:50"),
           {"breathlessness": 4, "cough": False, "sputum_colour": "clear", "spo2": 94,
            "temperature": 36.8}, "karim", Ack("lefevre", 300)),
    Report("karim", "copd", Ago(3, "09:05"),
           {"breathlessness": 4, "cough": False, "sputum_colour": "clear", "spo2": 94,
            "comment": "Je monte la côte du village plus facilement."}, "karim"),
    Report("louise", "cancer_follow_up", Ago(15, "20:30"),
           {"pain": 2, "fatigue": 6, "nausea": False}, "louise", Ack("perrin", 840)),
    Report("louise", "cancer_follow_up", Ago(8, "21:00"),
           {"pain": 3, "fatigue": 5, "nausea": False, "temperature": 36.8,
            "comment": "Bouffées de chaleur la nuit, je dors mal."}, "louise"),
    Report("louise", "cancer_follow_up", Ago(1, "20:45"),
           {"pain": 2, "fatigue": 4, "nausea": False}, "louise"),
)

NOTES: tuple[NoteSpec, ...] = (
    NoteSpec("jeanne", "lefevre", Ago(27, "10:45"),
             "Consultation de suivi : tension correcte, pas d'œdème des chevilles, poids stable "
             "à 71 kg. Traitement inchangé. Prise de sang à faire avant la prochaine "
             "consultation."),
    NoteSpec("jeanne", "jeanne", Ago(5, "20:30"),
             "Le portage des repas commence la semaine prochaine (service de la mairie, du lundi "
             "au vendredi). Ma fille Claire passe me voir samedi."),
    NoteSpec("jeanne", "benali", Ago(3, "11:40"),
             "Prise de sang faite ce matin à domicile. Les résultats iront au Dr Lefèvre. "
             "Pilulier de la semaine préparé avec Mme Martin."),
    NoteSpec("jeanne", "jeanne", Ago(1, "17:20"),
             "Je suis plus fatiguée depuis deux jours. J'ai du mal à monter l'escalier."),
    NoteSpec("jeanne", "girard", AfterAlert(60),
             "Bonjour Madame Martin. J'ai vu votre prise de poids : 2,1 kg en 3 jours. "
             "J'appelle le Dr Lefèvre, il vous verra à la consultation prévue dans votre carnet. "
             "D'ici là, pesez-vous chaque matin. Si vous êtes très essoufflée, surtout "
             "allongée, appelez le 15.",
             on_alert=True),
    NoteSpec("jeanne", "lefevre", AfterAlert(95),
             "Vu avec Sophie Girard. Je vous vois en consultation comme prévu et nous "
             "reverrons le traitement. Apportez votre carnet de poids."),
    NoteSpec("karim", "roux", Ago(12, "11:00"),
             "Séance de réhabilitation : 15 minutes de vélo sans pause. On continue les "
             "exercices de respiration à la maison, 10 minutes matin et soir."),
    NoteSpec("karim", "karim", Ago(4, "21:00"),
             "Plus de deux semaines sans cigarette. Les patchs m'aident, les gommes un peu moins."),
    NoteSpec("karim", "lefevre", Ago(3, "12:30"),
             "Bravo Monsieur Belkacem, tenez bon ! Nous ferons le vaccin contre le pneumocoque "
             "à la prochaine consultation."),
    NoteSpec("karim", "roux", Ago(1, "08:45"),
             "Je dois annuler la prochaine séance, le cabinet est fermé ce jour-là. Je vous "
             "appelle pour une nouvelle date."),
    NoteSpec("louise", "perrin", Ago(14, "18:30"),
             "Consultation de suivi : examen normal. La fatigue est encore là ; on en reparle "
             "dans un mois, avec la reprise du travail."),
    NoteSpec("louise", "louise", Ago(10, "22:10"),
             "Les bouffées de chaleur me réveillent la nuit. Est-ce normal avec mon traitement ?"),
    NoteSpec("louise", "dubois", Ago(9, "17:40"),
             "Bonjour Madame Bernard. Oui, c'est un effet fréquent de l'hormonothérapie. "
             "N'arrêtez pas le traitement sans en parler à votre médecin. Passez à la pharmacie, "
             "nous en parlerons ensemble. J'ai prévenu le Dr Perrin."),
    NoteSpec("louise", "haddad", Ago(6, "14:35"),
             "Je vous ai envoyé la liste des séances d'activité physique adaptée à Valserre "
             "(mardi et vendredi matin) et les coordonnées d'une association de patientes."),
)

# When each account last opened a carnet: Jeanne has not looked at hers for 4 days.
VISITS: tuple[tuple[str, str, Ago], ...] = (("jeanne", "jeanne", Ago(4, "19:00")),)
