"""The demo's plans of action: for heart failure, COPD and type 2 diabetes, what to do in
the green, amber and red zones, in plain words (FALC), in French, English and Arabic.

Written by Françoise Petit's association and reviewed like every page (``pages_content``);
fictional but medically sensible, not medical advice. Their slugs are those Carnet looks
for after a report (``symptoms.zones.slug``).
"""

from __future__ import annotations

from app.models import Condition
from app.symptoms.zones import AMBER, GREEN, RED, slug

from .pages_content import FALC, Page, Text

HEART, LUNGS, SUGAR = Condition.HEART_FAILURE, Condition.COPD, Condition.DIABETES_T2


def _plan(condition: Condition, zone: str, fr: Text, en: Text, ar: Text) -> Page:
    return Page(slug(condition, zone), (condition,), FALC, "", 20, fr, en, ar)


ACTION_PLANS: tuple[Page, ...] = (
    _plan(HEART, GREEN, Text("Insuffisance cardiaque : zone verte", """\
Mon poids ne bouge pas. Je respire comme d'habitude. Mes chevilles ne gonflent pas.

- Je prends mes médicaments, même quand je me sens bien.
- Je me pèse chaque matin.
- Je bouge un peu chaque jour, à mon rythme.
- Je mange peu salé.
"""), Text("Heart failure: green zone", """\
My weight does not change. I breathe as usual. My ankles are not swollen.

- I take my medicines, even when I feel well.
- I weigh myself every morning.
- I move a little every day, at my own pace.
- I eat little salt.
"""), Text("قصور القلب: المنطقة الخضراء", """\
وزني لا يتغير. أتنفس كالمعتاد. كاحلاي غير منتفخين.

- آخذ أدويتي، حتى عندما أشعر أنني بخير.
- أزن نفسي كل صباح.
- أتحرك قليلًا كل يوم، على مهلي.
- آكل طعامًا قليل الملح.
""")),
    _plan(HEART, AMBER, Text("Insuffisance cardiaque : zone orange", """\
J'ai pris 2 kg ou plus en 3 jours. Ou je suis plus essoufflé que d'habitude. Ou mes
chevilles gonflent.

- J'appelle mon infirmière ou mon médecin **aujourd'hui**.
- Je dis mon poids de ce matin et celui d'il y a 3 jours.
- Je ne change pas mes médicaments tout seul.
- En attendant, je mange sans sel.
"""), Text("Heart failure: amber zone", """\
I have gained 2 kg or more in 3 days. Or I am more out of breath than usual. Or my ankles
are swelling.

- I call my nurse or my doctor **today**.
- I say my weight this morning and 3 days ago.
- I do not change my medicines on my own.
- Until then, I eat without salt.
"""), Text("قصور القلب: المنطقة البرتقالية", """\
زاد وزني 2 كغ أو أكثر في 3 أيام. أو أصبحت أضيق نفسًا من المعتاد. أو بدأ كاحلاي ينتفخان.

- أتصل بممرضتي أو بطبيبي **اليوم**.
- أذكر وزني هذا الصباح ووزني قبل 3 أيام.
- لا أغيّر أدويتي وحدي.
- إلى ذلك الحين، آكل طعامًا بلا ملح.
""")),
    _plan(HEART, RED, Text("Insuffisance cardiaque : zone rouge", """\
Je manque d'air même au repos. Ou j'ai mal dans la poitrine. Ou je perds connaissance.

- **J'appelle le 15 tout de suite.**
- Je reste assis, je ne m'allonge pas.
- Je garde près de moi la liste de mes médicaments.
"""), Text("Heart failure: red zone", """\
I am short of breath even at rest. Or I have pain in my chest. Or I faint.

- **I call 15 straight away.**
- I stay sitting up; I do not lie down.
- I keep the list of my medicines near me.
"""), Text("قصور القلب: المنطقة الحمراء", """\
أشعر بضيق في التنفس حتى وأنا مرتاح. أو أشعر بألم في صدري. أو أفقد الوعي.

- **أتصل بالرقم 15 فورًا.**
- أبقى جالسًا، ولا أستلقي.
- أحتفظ بقائمة أدويتي بالقرب مني.
""")),
    _plan(LUNGS, GREEN, Text("BPCO : zone verte", """\
Je respire comme d'habitude. Je dors bien. Je fais mes activités.

- Je prends mes inhalateurs comme prévu.
- Je bouge chaque jour.
- Je ne fume pas, et j'évite la fumée des autres.
"""), Text("COPD: green zone", """\
I breathe as usual. I sleep well. I do my usual activities.

- I use my inhalers as planned.
- I move every day.
- I do not smoke, and I stay away from other people's smoke.
"""), Text("الانسداد الرئوي المزمن: المنطقة الخضراء", """\
أتنفس كالمعتاد. أنام جيدًا. أقوم بنشاطاتي المعتادة.

- أستعمل بخاخاتي كما هو مقرر.
- أتحرك كل يوم.
- لا أدخن، وأبتعد عن دخان الآخرين.
""")),
    _plan(LUNGS, AMBER, Text("BPCO : zone orange", """\
Je suis plus essoufflé que d'habitude depuis plus d'un jour. Ou mes crachats changent de
couleur. Ou j'ai de la fièvre.

- J'appelle mon infirmière ou mon médecin **aujourd'hui**.
- Je suis ce que mon médecin a prévu pour les crises.
- Je respire lèvres pincées et je me repose.
"""), Text("COPD: amber zone", """\
I have been more out of breath than usual for more than a day. Or my phlegm changes colour.
Or I have a fever.

- I call my nurse or my doctor **today**.
- I follow what my doctor planned for flare-ups.
- I breathe with pursed lips and I rest.
"""), Text("الانسداد الرئوي المزمن: المنطقة البرتقالية", """\
أنا أضيق نفسًا من المعتاد منذ أكثر من يوم. أو تغيّر لون البلغم. أو أصبت بالحمى.

- أتصل بممرضتي أو بطبيبي **اليوم**.
- أتبع ما خطّطه طبيبي لنوبات التفاقم.
- أتنفس والشفتان مضمومتان، وأرتاح.
""")),
    _plan(LUNGS, RED, Text("BPCO : zone rouge", """\
Mon oxygène est sous 90 %. Ou je n'arrive plus à parler. Ou mes lèvres deviennent bleues.
Ou je ne sais plus où je suis.

- **J'appelle le 15 tout de suite.**
- Je m'assois penché en avant.
- Je prends mon inhalateur de secours.
"""), Text("COPD: red zone", """\
My oxygen is under 90%. Or I can no longer speak. Or my lips turn blue. Or I no longer
know where I am.

- **I call 15 straight away.**
- I sit leaning forward.
- I use my reliever inhaler.
"""), Text("الانسداد الرئوي المزمن: المنطقة الحمراء", """\
نسبة الأكسجين عندي أقل من 90٪. أو لم أعد أستطيع الكلام. أو أصبحت شفتاي زرقاوين. أو لم أعد
أعرف أين أنا.

- **أتصل بالرقم 15 فورًا.**
- أجلس مائلًا إلى الأمام.
- أستعمل بخاخ الإسعاف.
""")),
    _plan(SUGAR, GREEN, Text("Diabète : zone verte", """\
Mon sucre est entre 0,70 et 1,80 g/L la plupart du temps. Mes pieds vont bien.

- Je prends mon traitement et je mange à heures régulières.
- Je regarde mes pieds chaque jour.
- Je bouge un peu chaque jour.
"""), Text("Diabetes: green zone", """\
My sugar is between 0.70 and 1.80 g/L most of the time. My feet are fine.

- I take my treatment and eat at regular times.
- I look at my feet every day.
- I move a little every day.
"""), Text("السكري: المنطقة الخضراء", """\
سكّر الدم عندي بين 0,70 و1,80 غ/ل في أغلب الأوقات. قدماي بخير.

- آخذ علاجي وآكل في أوقات منتظمة.
- أنظر إلى قدمَيّ كل يوم.
- أتحرك قليلًا كل يوم.
""")),
    _plan(SUGAR, AMBER, Text("Diabète : zone orange", """\
Mon sucre est bas (moins de 0,70 g/L) : je tremble, je transpire, j'ai faim. Ou mon sucre
est très haut. Ou j'ai une plaie au pied.

- Si mon sucre est bas : je prends **tout de suite** 3 morceaux de sucre ou un petit verre
  de jus de fruit, et je mesure à nouveau 15 minutes plus tard.
- J'appelle mon infirmière ou mon médecin **aujourd'hui**.
- Je ne conduis pas tant que mon sucre est bas.
"""), Text("Diabetes: amber zone", """\
My sugar is low (under 0.70 g/L): I shake, I sweat, I feel hungry. Or my sugar is very
high. Or I have a wound on my foot.

- If my sugar is low: I take **straight away** 3 sugar cubes or a small glass of fruit
  juice, and I measure again 15 minutes later.
- I call my nurse or my doctor **today**.
- I do not drive while my sugar is low.
"""), Text("السكري: المنطقة البرتقالية", """\
سكّر الدم عندي منخفض (أقل من 0,70 غ/ل): أرتجف، أتعرّق، أشعر بالجوع. أو سكّر الدم مرتفع
جدًا. أو عندي جرح في القدم.

- إذا كان السكّر منخفضًا: آخذ **فورًا** 3 قطع سكّر أو كوبًا صغيرًا من عصير الفاكهة، ثم
  أقيس من جديد بعد 15 دقيقة.
- أتصل بممرضتي أو بطبيبي **اليوم**.
- لا أقود السيارة ما دام السكّر منخفضًا.
""")),
    _plan(SUGAR, RED, Text("Diabète : zone rouge", """\
Je suis très confus, je n'arrive plus à avaler, ou on n'arrive pas à me réveiller.

- **Mes proches appellent le 15 tout de suite.**
- On ne me donne rien à boire ni à manger si je ne peux pas avaler.
"""), Text("Diabetes: red zone", """\
I am very confused, I can no longer swallow, or no one can wake me up.

- **The people around me call 15 straight away.**
- No one gives me anything to drink or eat if I cannot swallow.
"""), Text("السكري: المنطقة الحمراء", """\
أنا مشوّش جدًا، أو لم أعد أستطيع البلع، أو لا يستطيع أحد إيقاظي.

- **يتصل المقرّبون مني بالرقم 15 فورًا.**
- لا يعطيني أحد شيئًا أشربه أو آكله إذا كنت لا أستطيع البلع.
""")),
)
