"""The demo's educational pages, written by Françoise Petit's association, checked by
Dr Lefèvre and Odile Lambert, in French and in English.

Fictional but medically sensible, in plain words; they are not medical advice. Each page
is published with its review (sent by Françoise, approved by a professional and by the
second editor), so the authoring space shows a history and patients have pages to read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlmodel import Session

from app.models import (
    Account,
    Condition,
    ContentPage,
    ContentReview,
    ContentStatus,
    ReadingLevel,
    ReviewAction,
)

from .territory_content import Ago

FALC, STANDARD = ReadingLevel.FALC, ReadingLevel.STANDARD


class Text(NamedTuple):
    title: str
    body: str


class Page(NamedTuple):
    """A page published ``days`` ago, in French and in English (and Arabic, for some)."""

    slug: str
    conditions: tuple[Condition, ...]
    level: ReadingLevel
    item: str  # "<questionnaire code>:<item key>", or ""
    days: int
    fr: Text
    en: Text
    ar: Text | None = None


AUTHOR, PROFESSIONAL, EDITOR = "petit", "lefevre", "lambert"
WEIGHING = "se-peser-chaque-matin"  # Jeanne's plan action points here

PAGES: tuple[Page, ...] = (
    Page("mes-chevilles-gonflent-que-faire", (Condition.HEART_FAILURE,), FALC,
         "heart_failure:ankles", 40,
         Text("Mes chevilles gonflent : que faire ?", """\
Mes chevilles ou mes pieds sont gonflés. Mes chaussures me serrent.
Quand j'appuie avec un doigt, la marque reste.

## Pourquoi ?

Mon cœur pompe moins bien. Mon corps garde de l'eau. L'eau descend dans les jambes.

## Ce que je fais

- Je me pèse. Je compare avec mon poids des jours d'avant.
- Je mets mes jambes en hauteur quand je m'assois.
- Je mange peu salé.
- Je prends mes médicaments. Je ne les arrête jamais sans mon médecin.

## Je préviens mon équipe

- si je prends **2 kg en 3 jours**,
- si le gonflement monte vers les genoux,
- si j'ai plus de mal à respirer que d'habitude.

## J'appelle le 15

Si j'ai du mal à respirer au repos, ou une douleur dans la poitrine.
"""),
         Text("My ankles are swelling: what to do?", """\
My ankles or my feet are swollen. My shoes feel tight.
When I press with a finger, the mark stays.

## Why?

My heart pumps less well. My body keeps water. The water goes down into my legs.

## What I do

- I weigh myself. I compare with my weight of the days before.
- I put my legs up when I sit.
- I eat little salt.
- I take my medicines. I never stop them without my doctor.

## I tell my care team

- if I gain **2 kg in 3 days**,
- if the swelling goes up towards my knees,
- if I am more out of breath than usual.

## I call 15 (or 112)

If I find it hard to breathe at rest, or if I have a pain in my chest.
""")),
    Page(WEIGHING, (Condition.HEART_FAILURE,), STANDARD, "heart_failure:weight", 38,
         Text("Se peser chaque matin", """\
Le poids est le premier signe que le corps garde de l'eau, souvent avant
l'essoufflement ou les chevilles gonflées. Se peser chaque jour permet de le voir tôt.

## Comment faire

1. Tous les matins, au lever, après un passage aux toilettes.
2. Avant le petit-déjeuner, avec les mêmes vêtements (ou sans).
3. Toujours sur la même balance, posée sur un sol dur.
4. Je note mon poids dans Carnet ou sur mon cahier.

## Quand prévenir mon équipe

Si je prends **2 kg ou plus en 3 jours**, je préviens mon médecin ou mon infirmière
le jour même. Carnet les prévient aussi quand je donne mon poids.

Une prise de poids lente, sur plusieurs semaines, n'est pas la même chose : j'en parle
à ma prochaine consultation.
"""),
         Text("Weighing myself every morning", """\
Weight is the first sign that the body is keeping water, often before breathlessness
or swollen ankles. Weighing myself every day lets me see it early.

## How to do it

1. Every morning, when I get up, after going to the toilet.
2. Before breakfast, in the same clothes (or none).
3. Always on the same scales, on a hard floor.
4. I write my weight down in Carnet or in my notebook.

## When to tell my care team

If I gain **2 kg or more in 3 days**, I tell my doctor or my nurse the same day.
Carnet tells them too when I give my weight.

Slow weight gain over several weeks is not the same thing: I talk about it at my next
appointment.
""")),
    Page("sucre-trop-bas-les-signes", (Condition.DIABETES_T2,), FALC,
         "diabetes_t2:hypoglycaemia", 35,
         Text("Sucre trop bas : les signes", """\
Parfois, il y a trop peu de sucre dans mon sang. C'est une **hypoglycémie**.

## Les signes

- Je transpire.
- Je tremble.
- J'ai très faim.
- Mon cœur bat vite.
- J'ai la tête qui tourne, je vois flou.

## Ce que je fais tout de suite

1. Si je peux, je mesure mon sucre. Il est bas sous 0,70 g/L.
2. Je prends 3 morceaux de sucre, ou un petit verre de jus de fruits.
3. J'attends 15 minutes. Je mesure encore.
4. Ensuite, je mange quelque chose, par exemple du pain.

## Après

Je le dis à mon infirmière ou à mon médecin. Je le note dans Carnet.

## Pour mes proches

Si je ne réponds plus, on ne me donne rien à boire ni à manger. On appelle le 15.
"""),
         Text("Low blood sugar: the signs", """\
Sometimes there is too little sugar in my blood. This is called **hypoglycaemia**.

## The signs

- I sweat.
- I shake.
- I am very hungry.
- My heart beats fast.
- I feel dizzy, my sight is blurred.

## What I do at once

1. If I can, I measure my sugar. It is low under 0.70 g/L.
2. I take 3 sugar cubes, or a small glass of fruit juice.
3. I wait 15 minutes. I measure again.
4. Then I eat something, for example some bread.

## Afterwards

I tell my nurse or my doctor. I write it down in Carnet.

## For my close ones

If I do not answer any more, do not give me anything to drink or eat. Call 15 (or 112).
""")),
    Page("quand-je-manque-de-souffle", (Condition.COPD,), STANDARD, "copd:breathlessness", 30,
         Text("Quand je manque de souffle", """\
Avec la BPCO, l'essoufflement fait partie de la vie de tous les jours. Quelques gestes
aident à le calmer, et certains signes doivent faire appeler.

## Pour mieux respirer

- **Respirer lèvres pincées** : j'inspire par le nez, puis je souffle lentement par la
  bouche, les lèvres serrées comme pour siffler, deux fois plus longtemps.
- Je me penche en avant, les avant-bras posés sur les cuisses ou sur une table.
- Je fais les choses par étapes, et je m'arrête avant d'être à bout de souffle.
- Je prends mes inhalateurs comme prévu ; mon pharmacien peut vérifier que je les
  utilise bien.

## Je préviens mon équipe

- si je manque de souffle plus que d'habitude depuis plus d'un jour,
- si mes crachats changent de couleur ou si j'ai de la fièvre,
- si mon oxygène (saturation) est sous 90 %.

## J'appelle le 15

Si je n'arrive plus à parler, si mes lèvres deviennent bleues, ou si je ne sais plus
où je suis.
"""),
         Text("When I am short of breath", """\
With COPD, breathlessness is part of everyday life. A few simple things help to calm
it, and some signs mean I should call.

## To breathe better

- **Pursed-lip breathing**: I breathe in through my nose, then breathe out slowly
  through my mouth, lips pressed as if to whistle, twice as long.
- I lean forward, my forearms resting on my thighs or on a table.
- I do things step by step, and stop before I am out of breath.
- I use my inhalers as planned; my pharmacist can check that I use them well.

## I tell my care team

- if I have been more out of breath than usual for more than a day,
- if my phlegm changes colour or if I have a fever,
- if my oxygen (saturation) is under 90%.

## I call 15 (or 112)

If I can no longer speak, if my lips turn blue, or if I no longer know
where I am.
""")),
)


def load_pages(db: Session, accounts: dict[str, Account], at: Callable[[Ago], datetime],
               pages: tuple[Page, ...] = PAGES) -> None:
    """Every page, French then its translations, published with its review."""
    rows: list[tuple[ContentPage, datetime]] = []
    for language in ("fr", "en", "ar"):
        sources = {page.slug: page.id for page, _when in rows if page.language == "fr"}
        for spec in pages:
            published = at(Ago(spec.days, "11:00"))
            text = getattr(spec, language)
            if text is None:
                continue
            page = ContentPage(
                slug=spec.slug, language=language, version=1, status=ContentStatus.PUBLISHED,
                title=text.title, body_markdown=text.body, conditions=list(spec.conditions),
                reading_level=spec.level, questionnaire_item=spec.item,
                source_id=sources.get(spec.slug), author_id=accounts[AUTHOR].id,
                created_at=published - timedelta(days=12), published_at=published)
            db.add(page)
            rows.append((page, published))
        db.flush()  # the French ids, which the English versions translate; then all ids
    for page, published in rows:
        steps = ((AUTHOR, ReviewAction.SUBMIT, 7), (PROFESSIONAL, ReviewAction.APPROVE, 4),
                 (EDITOR, ReviewAction.APPROVE, 2), (AUTHOR, ReviewAction.PUBLISH, 0))
        for who, action, days_before in steps:
            db.add(ContentReview(page_id=page.id, account_id=accounts[who].id, action=action,
                                 comment="", created_at=published - timedelta(days=days_before)))
