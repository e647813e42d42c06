package holidays

import (
	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/ar"
	"github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/bg"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/ch"
	"github.com/rickar/cal/v2/cy"
	"github.com/rickar/cal/v2/cz"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/ee"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fi"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/gr"
	"github.com/rickar/cal/v2/hr"
	"github.com/rickar/cal/v2/hu"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/is"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/ke"
	"github.com/rickar/cal/v2/lt"
	"github.com/rickar/cal/v2/lu"
	"github.com/rickar/cal/v2/lv"
	"github.com/rickar/cal/v2/mt"
	"github.com/rickar/cal/v2/mw"
	"github.com/rickar/cal/v2/mx"
	"github.com/rickar/cal/v2/nc"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/nz"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/pt"
	"github.com/rickar/cal/v2/ro"
	"github.com/rickar/cal/v2/rs"
	"github.com/rickar/cal/v2/ru"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/si"
	"github.com/rickar/cal/v2/sk"
	"github.com/rickar/cal/v2/ua"
	"github.com/rickar/cal/v2/us"
	"github.com/rickar/cal/v2/za"
)

// regions are the public holiday lists pacer knows, by lowercase code: every country package
// of github.com/rickar/cal/v2 with national holidays ("us"), and the regional lists the library
// has ("de-by": a country and one of its regions).
var regions = map[string][]*cal.Holiday{
	"ar":     ar.Holidays,
	"at":     at.Holidays,
	"be":     be.Holidays,
	"bg":     bg.Holidays,
	"br":     br.Holidays,
	"ca":     ca.Holidays,
	"ch":     ch.Holidays,
	"cy":     cy.Holidays,
	"cz":     cz.Holidays,
	"de":     de.Holidays,
	"dk":     dk.Holidays,
	"ee":     ee.Holidays,
	"es":     es.Holidays,
	"fi":     fi.Holidays,
	"fr":     fr.Holidays,
	"gb":     gb.Holidays,
	"gr":     gr.Holidays,
	"hr":     hr.Holidays,
	"hu":     hu.Holidays,
	"ie":     ie.Holidays,
	"is":     is.Holidays,
	"it":     it.Holidays,
	"ke":     ke.Holidays,
	"lt":     lt.Holidays,
	"lu":     lu.Holidays,
	"lv":     lv.Holidays,
	"mt":     mt.Holidays,
	"mw":     mw.Holidays,
	"mx":     mx.Holidays,
	"nc":     nc.Holidays,
	"nl":     nl.Holidays,
	"no":     no.Holidays,
	"nz":     nz.Holidays,
	"pl":     pl.Holidays,
	"pt":     pt.Holidays,
	"ro":     ro.Holidays,
	"rs":     rs.Holidays,
	"ru":     ru.Holidays,
	"se":     se.Holidays,
	"si":     si.Holidays,
	"sk":     sk.Holidays,
	"ua":     ua.Holidays,
	"us":     us.Holidays,
	"za":     za.Holidays,
	"au-act": au.HolidaysACT,
	"au-nsw": au.HolidaysNSW,
	"au-nt":  au.HolidaysNT,
	"au-qld": au.HolidaysQLD,
	"au-sa":  au.HolidaysSA,
	"au-tas": au.HolidaysTAS,
	"au-vic": au.HolidaysVIC,
	"au-wa":  au.HolidaysWA,
	"ch-zh":  ch.HolidaysZH,
	"ch-be":  ch.HolidaysBE,
	"ch-lu":  ch.HolidaysLU,
	"ch-ur":  ch.HolidaysUR,
	"ch-sz":  ch.HolidaysSZ,
	"ch-ow":  ch.HolidaysOW,
	"ch-nw":  ch.HolidaysNW,
	"ch-gl":  ch.HolidaysGL,
	"ch-zg":  ch.HolidaysZG,
	"ch-fr":  ch.HolidaysFR,
	"ch-so":  ch.HolidaysSO,
	"ch-bs":  ch.HolidaysBS,
	"ch-bl":  ch.HolidaysBL,
	"ch-sh":  ch.HolidaysSH,
	"ch-ar":  ch.HolidaysAR,
	"ch-ai":  ch.HolidaysAI,
	"ch-sg":  ch.HolidaysSG,
	"ch-gr":  ch.HolidaysGR,
	"ch-ag":  ch.HolidaysAG,
	"ch-tg":  ch.HolidaysTG,
	"ch-vd":  ch.HolidaysVD,
	"ch-ti":  ch.HolidaysTI,
	"ch-vs":  ch.HolidaysVS,
	"ch-ne":  ch.HolidaysNE,
	"ch-ge":  ch.HolidaysGE,
	"ch-ju":  ch.HolidaysJU,
	"de-bw":  de.HolidaysBW,
	"de-by":  de.HolidaysBY,
	"de-be":  de.HolidaysBE,
	"de-bb":  de.HolidaysBB,
	"de-hb":  de.HolidaysHB,
	"de-hh":  de.HolidaysHH,
	"de-he":  de.HolidaysHE,
	"de-mv":  de.HolidaysMV,
	"de-ni":  de.HolidaysNI,
	"de-nw":  de.HolidaysNW,
	"de-rp":  de.HolidaysRP,
	"de-sl":  de.HolidaysSL,
	"de-sn":  de.HolidaysSN,
	"de-st":  de.HolidaysST,
	"de-sh":  de.HolidaysSH,
	"de-th":  de.HolidaysTH,
}
