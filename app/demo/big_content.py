"""What the big territory is made of: French names, villages, plans and words, as data.

Everything is fictional and written here: common French first and last names combined at
random, villages of the imaginary Pays de Serre, phone numbers from the blocks ARCEP
reserves for fiction. :mod:`app.demo.big_territory` draws from these lists.
"""

from __future__ import annotations

from app.models import Profession

FIRST_NAMES = (
    "Jeanne", "Marie", "Monique", "Françoise", "Nicole", "Colette", "Josiane", "Martine",
    "Sylvie", "Catherine", "Isabelle", "Nathalie", "Christine", "Brigitte", "Annie",
    "Odette", "Simone", "Yvette", "Hélène", "Chantal", "Fatima", "Malika", "Aïcha", "Sandrine",
    "Jean", "Pierre", "Michel", "André", "Bernard", "Jacques", "Daniel", "Gérard", "Alain",
    "Claude", "René", "Roger", "Patrick", "Philippe", "Christian", "Serge", "Henri",
    "Marcel", "Robert", "Ahmed", "Mohamed", "Rachid", "Antoine", "Luc", "Yves", "Thierry",
)
# Professionals and caregivers are younger than most patients.
YOUNGER_FIRST_NAMES = (
    "Camille", "Julie", "Émilie", "Laura", "Manon", "Sarah", "Léa", "Céline", "Aurélie",
    "Claire", "Nadia", "Sophie", "Élodie", "Pauline", "Inès", "Anaïs", "Amandine",
    "Thomas", "Nicolas", "Julien", "Maxime", "Kevin", "Romain", "Mehdi", "Karim", "Hugo",
    "Florian", "Vincent", "Guillaume", "Mathieu", "Benjamin", "Sébastien", "Yacine", "Lucas",
)
LAST_NAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois",
    "Moreau", "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand",
    "Morel", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau",
    "Vincent", "Muller", "Lefèvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer",
    "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin",
    "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson",
    "Marchand", "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour",
    "Meunier", "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard",
    "Barbier", "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux",
    "Colin", "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud",
    "Dumas", "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey",
    "Haddad", "Benali", "Belkacem", "Mansouri", "Nguyen", "Da Silva", "Ferreira", "Lopez",
)
TOWNS = (
    "Saint-Julien-en-Serre", "Montferrand-de-Serre", "Roche-sur-Serre", "Le Pradel-sur-Serre",
    "Valserre", "Les Granges-Hautes", "Châteauneuf-de-Serre", "Saint-Martin-des-Vignes",
    "Beauvallon-sur-Serre", "La Motte-Chalon", "Fontclaire", "Saint-Andéol-le-Vieux",
    "Puy-Saint-Roch", "Villebois-la-Serre", "Les Combes", "Sainte-Agathe-des-Prés",
    "Mirabel-sur-Serre", "Le Chaffal", "Bourg-de-Serre", "Aubenas-la-Forêt",
)
STREETS = (
    "chemin des Granges", "rue de l'Église", "impasse du Lavoir", "route de Valserre",
    "allée des Mûriers", "place de la Mairie", "rue du Moulin", "chemin des Vignes",
    "rue des Écoles", "montée du Château", "rue de la Fontaine", "chemin du Stade",
    "avenue des Tilleuls", "rue du Four", "chemin de la Croix", "lotissement Les Pins",
)
RELATIONSHIPS = ("fille", "fils", "épouse", "époux", "voisine", "nièce", "petite-fille",
                 "belle-fille", "ami", "frère", "sœur")

# How many of the territory's professionals practise each profession (relative weights).
PROFESSIONS: dict[Profession, int] = {
    Profession.GP: 12, Profession.NURSE: 30, Profession.PHARMACIST: 12,
    Profession.PHYSIOTHERAPIST: 12, Profession.IPA: 4, Profession.CARDIOLOGIST: 3,
    Profession.PULMONOLOGIST: 2, Profession.ONCOLOGIST: 2, Profession.DIETITIAN: 4,
    Profession.SOCIAL_WORKER: 8, Profession.COORDINATOR: 5,
}
DOCTORS = {Profession.GP, Profession.CARDIOLOGIST, Profession.PULMONOLOGIST,
           Profession.ONCOLOGIST}
HOSPITAL = "Centre hospitalier de Valserre"
STRUCTURES: dict[Profession, str] = {
    Profession.GP: "Maison de santé de {town}",
    Profession.NURSE: "Cabinet infirmier de {town}",
    Profession.PHARMACIST: "Pharmacie de {town}",
    Profession.PHYSIOTHERAPIST: "Cabinet de kinésithérapie de {town}",
    Profession.IPA: "Maison de santé de {town}",
    Profession.CARDIOLOGIST: f"{HOSPITAL}, service de cardiologie",
    Profession.PULMONOLOGIST: f"{HOSPITAL}, service de pneumologie",
    Profession.ONCOLOGIST: f"{HOSPITAL}, hôpital de jour d'oncologie",
    Profession.DIETITIAN: "Cabinet de diététique de {town}",
    Profession.SOCIAL_WORKER: "Centre médico-social de {town}",
    Profession.COORDINATOR: "DAC Serre et Vallées (dispositif d'appui à la coordination)",
}
CONTACT_FOR: dict[Profession, str] = {
    Profession.GP: "Pour mes ordonnances, mon traitement, et si je ne me sens pas bien",
    Profession.NURSE: "Pour mes soins à la maison, mes prises de sang, mon pilulier",
    Profession.PHARMACIST: "Pour mes médicaments et mon matériel",
    Profession.PHYSIOTHERAPIST: "Pour mes séances et mes exercices à la maison",
    Profession.IPA: "Pour le suivi entre deux consultations",
    Profession.CARDIOLOGIST: "Pour mes rendez-vous du cœur à l'hôpital",
    Profession.PULMONOLOGIST: "Pour mes examens du souffle",
    Profession.ONCOLOGIST: "Pour mes rendez-vous de suivi à l'hôpital et mes résultats",
    Profession.DIETITIAN: "Pour mes repas et mon poids",
    Profession.COORDINATOR: "Pour l'aide à la maison, et si je ne sais plus à qui demander",
}
# The specialist and the other members a condition brings into a care team.
SPECIALISTS: dict[str, tuple[Profession, ...]] = {
    "heart_failure": (Profession.CARDIOLOGIST, Profession.IPA),
    "diabetes_t2": (Profession.DIETITIAN,),
    "copd": (Profession.PULMONOLOGIST, Profession.PHYSIOTHERAPIST),
    "cancer_follow_up": (Profession.ONCOLOGIST,),
}
# Conditions of the territory's patients, and how often each comes (relative weights).
CONDITIONS = (("heart_failure",), ("diabetes_t2",), ("copd",), ("cancer_follow_up",),
              ("heart_failure", "diabetes_t2"), ("diabetes_t2", "copd"))
CONDITION_WEIGHTS = (25, 30, 18, 12, 10, 5)

# A care plan per condition: (problem, goal, actions as (title, who)), "who" being a
# profession, or "patient".
PLANS: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    "heart_failure": (
        "Insuffisance cardiaque", "Éviter une nouvelle hospitalisation",
        (("Me peser chaque matin et noter mon poids", "patient"),
         ("Passage infirmier 2 fois par semaine", Profession.NURSE),
         ("Bilan sanguin (ionogramme, créatinine)", Profession.NURSE),
         ("Consultation chez le cardiologue", Profession.CARDIOLOGIST))),
    "diabetes_t2": (
        "Diabète de type 2", "HbA1c autour de 7 %",
        (("Glycémie capillaire 2 matins par semaine", "patient"),
         ("Prise de sang HbA1c tous les 3 mois", Profession.NURSE),
         ("Examen des pieds, au moins une fois par an", Profession.GP),
         ("Fond d'œil chez l'ophtalmologue", "patient"))),
    "copd": (
        "BPCO (bronchite chronique obstructive)", "Mieux respirer au quotidien",
        (("Réhabilitation respiratoire : 2 séances par semaine", Profession.PHYSIOTHERAPIST),
         ("Marcher 30 minutes chaque jour", "patient"),
         ("Vérifier ma façon de prendre mes inhalateurs", Profession.PHARMACIST),
         ("Vaccin contre la grippe, chaque automne", Profession.PHARMACIST))),
    "cancer_follow_up": (
        "Suivi après un cancer", "Repérer tôt un retour de la maladie",
        (("Consultation de suivi en oncologie tous les 6 mois", Profession.ONCOLOGIST),
         ("Prendre mon traitement chaque jour", "patient"),
         ("Activité physique adaptée : 2 séances par semaine", "patient"))),
}
APPOINTMENT_TITLES: dict[Profession, str] = {
    Profession.GP: "Consultation de suivi",
    Profession.NURSE: "Passage infirmier à domicile",
    Profession.PHARMACIST: "Entretien pharmaceutique",
    Profession.PHYSIOTHERAPIST: "Séance de kinésithérapie",
    Profession.IPA: "Suivi en téléconsultation",
    Profession.CARDIOLOGIST: "Consultation de cardiologie",
    Profession.PULMONOLOGIST: "Explorations fonctionnelles respiratoires",
    Profession.ONCOLOGIST: "Consultation de suivi en oncologie",
    Profession.DIETITIAN: "Consultation diététique",
    Profession.COORDINATOR: "Point avec la coordinatrice",
}
NOTES_BY_PATIENT = (
    "Je suis plus fatigué depuis deux jours.",
    "Ma fille passe me voir samedi, elle m'aidera pour les papiers.",
    "J'ai bien reçu l'ordonnance, merci.",
    "Je n'arrive pas à avoir la pharmacie au téléphone, qui peut m'aider ?",
    "Je suis partie chez ma sœur une semaine, je reprends mes relevés lundi.",
)
NOTES_BY_PROFESSIONAL = (
    "Consultation de suivi : examen normal, traitement inchangé.",
    "Prise de sang faite ce matin à domicile. Résultats envoyés au médecin traitant.",
    "Pilulier de la semaine préparé avec le patient.",
    "Technique d'inhalation revue à la pharmacie : elle est bonne.",
    "Séance du jour : 15 minutes de vélo sans pause. On continue les exercices.",
    "Nouvelle ordonnance faite pour 3 mois.",
    "Vu les derniers relevés : tout est stable, continuez ainsi.",
)
NOTES_BY_CAREGIVER = (
    "Je passerai jeudi pour l'accompagner à son rendez-vous.",
    "Le portage des repas commence la semaine prochaine.",
)
REPORT_NOTES = (
    "Rempli le soir, j'avais oublié ce matin.",
    "J'ai mal dormi.",
    "Un peu mieux qu'hier.",
    "J'ai beaucoup marché aujourd'hui.",
    "Je suis plus essoufflé dans l'escalier.",
)
