package demodata

// The word lists below give the data its German school flavour; faker adds
// international names and filler text on top (see newVocab). Some entries carry
// umlauts, ß, apostrophes, hyphens and emoji on purpose: they must survive an
// export and import unchanged.

var germanFemaleNames = []string{
	"Anna", "Emma", "Mia", "Sophie", "Hannah", "Lena", "Lea", "Marie", "Lina", "Clara",
	"Johanna", "Ida", "Frieda", "Greta", "Mathilda", "Charlotte", "Amélie", "Zoë", "Jülide",
	"Sabine", "Katrin", "Stefanie", "Julia", "Nicole", "Andrea", "Claudia", "Birgit",
	"Susanne", "Petra", "Melanie", "Ayşe", "Elif", "Zeynep", "Agnieszka", "Małgorzata",
	"Olena", "Natalia", "Fatma", "Renée", "Jördis", "Björg", "Lötte", "Maren", "Ute",
	"Anne-Kathrin", "Marie-Luise", "Ann-Sophie", "Henriette", "Ilse", "Käthe", "Svenja",
}

var germanMaleNames = []string{
	"Paul", "Leon", "Noah", "Elias", "Finn", "Ben", "Jonas", "Felix", "Luca", "Emil",
	"Anton", "Theo", "Matteo", "Karl", "Moritz", "Jürgen", "Jörg", "Björn", "Sören",
	"Günther", "Thomas", "Michael", "Andreas", "Stefan", "Markus", "Christian", "Frank",
	"Tobias", "Sebastian", "Daniel", "Mehmet", "Mustafa", "Emir", "Paweł", "Łukasz",
	"Dmytro", "Oleksandr", "Ahmad", "Yusuf", "François", "José", "Nikolaï", "Hans-Peter",
	"Karl-Heinz", "Jan-Ole", "Ole", "Malte", "Hauke", "Knut", "Uwe", "Dieter",
}

var germanLastNames = []string{
	"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
	"Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
	"Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann",
	"Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier", "Lehmann",
	"Schmid", "Schulze", "Maier", "Köhler", "Herrmann", "König", "Walter", "Mayer",
	"Huber", "Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung",
	"Hahn", "Schubert", "Vogel", "Friedrich", "Keller", "Günther", "Frank", "Berger",
	"Winkler", "Roth", "Beck", "Lorenz", "Baumann", "Franke", "Albrecht", "Böhm",
	"Krämer", "Jäger", "Groß", "Kühn", "Weißenböck", "Straßburger", "Yılmaz", "Kaya",
	"Demir", "Şahin", "Çelik", "Öztürk", "Nowak", "Kowalski", "Wiśniewski", "Popescu",
	"Ivanović", "Kovačević", "Nguyen", "Al-Hassan", "Haddad", "Rossi", "Ferreira",
	"García", "Papadopoulos", "O'Brien", "von der Heide", "Müller-Lüdenscheidt",
	"zu Guttenberg", "Schmidt-Kowalski", "Dąbrowski", "Shevchenko", "Bondarenko",
}

// mailDomains are typical German private mail providers, most common first.
var mailDomains = []string{
	"gmx.de", "web.de", "t-online.de", "gmail.com", "gmx.net", "outlook.de", "yahoo.de",
	"posteo.de", "freenet.de", "icloud.com", "mailbox.org", "hotmail.de", "online.de",
	"arcor.de", "googlemail.com", "aol.com",
}

// schoolDomains are used for teachers' addresses.
var schoolDomains = []string{
	"schule.nrw.de", "gs-am-park.de", "gymnasium-nord.de", "realschule-mitte.de",
	"gesamtschule-süd.de", "schulen.koeln.de", "bildung.berlin.de",
}

// city is a German city with the first digits of its postal codes and its area code.
type city struct {
	name, postal, area string
}

var cities = []city{
	{"Berlin", "10", "030"}, {"Hamburg", "20", "040"}, {"München", "80", "089"},
	{"Köln", "50", "0221"}, {"Frankfurt am Main", "60", "069"}, {"Stuttgart", "70", "0711"},
	{"Düsseldorf", "40", "0211"}, {"Leipzig", "04", "0341"}, {"Dortmund", "44", "0231"},
	{"Essen", "45", "0201"}, {"Bremen", "28", "0421"}, {"Dresden", "01", "0351"},
	{"Hannover", "30", "0511"}, {"Nürnberg", "90", "0911"}, {"Duisburg", "47", "0203"},
	{"Bochum", "44", "0234"}, {"Wuppertal", "42", "0202"}, {"Bielefeld", "33", "0521"},
	{"Bonn", "53", "0228"}, {"Münster", "48", "0251"}, {"Mönchengladbach", "41", "02161"},
	{"Görlitz", "02", "03581"}, {"Fürth", "90", "0911"}, {"Lüneburg", "21", "04131"},
	{"Tübingen", "72", "07071"}, {"Würzburg", "97", "0931"}, {"Saarbrücken", "66", "0681"},
	{"Osnabrück", "49", "0541"}, {"Lübeck", "23", "0451"}, {"Gießen", "35", "0641"},
	{"Erlangen", "91", "09131"}, {"Jena", "07", "03641"}, {"Weißenfels", "06", "03443"},
	{"Pößneck", "07", "03647"}, {"Bad Kötzting", "93", "09941"}, {"Halle (Saale)", "06", "0345"},
	{"Frankfurt (Oder)", "15", "0335"}, {"Sankt Augustin", "53", "02241"},
}

var streetNames = []string{
	"Hauptstraße", "Schulstraße", "Bahnhofstraße", "Gartenstraße", "Dorfstraße", "Bergstraße",
	"Birkenweg", "Lindenstraße", "Am Markt", "Goethestraße", "Schillerstraße", "Mozartstraße",
	"Kirchplatz", "Rosenweg", "Friedrich-Ebert-Straße", "Konrad-Adenauer-Ring",
	"Im Grünen Winkel", "An der Mühle", "Weißdornweg", "Königsallee", "Lößnitzgrundstraße",
	"Straße des 17. Juni", "Jägerstraße", "Mühlenstraße", "Ringstraße", "Am Südpark",
	"Ährenfeld", "Zur Alten Schmiede", "Über den Gärten", "Heinrich-Böll-Platz",
	"Sophie-Scholl-Straße", "Auf'm Hennekamp", "Rue de Wiltz", "Œkonomiestraße",
}

var weekdays = []string{"Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag"}

var subjectsDE = []string{
	"Krankmeldung", "Frage zu den Hausaufgaben", "Elternabend am Donnerstag",
	"Re: Klassenfahrt nach Berlin", "AW: Entschuldigung für gestern", "Termin Elternsprechtag",
	"Fundsache: blaue Trinkflasche", "Danke für den tollen Ausflug! 🎉", "WG: Info Förderverein",
	"Vertretungsplan nächste Woche", "Mathe-Arbeit am Freitag", "Sportzeug vergessen 🙈",
	"Läuse-Info", "Frühstücksbuffet 🥐", "Abholung heute früher", "Zeugniskonferenz",
	"Busverspätung", "Rückfrage Einverständniserklärung", "Arzttermin am Mittwoch",
	"Betreff: Schwimmunterricht", "Re: Re: Re: Kuchenliste Sommerfest 🍰",
	"Bitte um Rückruf", "Hausaufgabenheft verloren", "Material für den Kunstunterricht",
	"Projektwoche – Anmeldung", "Ganztag: Änderung der Abholzeit", "Wichtig!!!",
	"Frage zur Notengebung (Deutsch)", "Elternbeirat: Protokoll", "Nachhilfe gesucht",
	"Klassenkasse – Überweisung", "Schulweg / Baustelle", "Mensa-Abrechnung Oktober",
	"„Lesepatenschaft“ – wer hat Zeit?", "Ausflug ins Naturkundemuseum 🦕", "Termine 2. Halbjahr",
	"AW: Zeugnis – Bitte um Gespräch", "Corona-Test & Attest", "Praktikumsplatz gesucht",
	"Info: Wandertag fällt aus ☔",
}

var greetingsFormal = []string{"Liebe Frau %s,", "Lieber Herr %s,", "Sehr geehrte Frau %s,", "Sehr geehrter Herr %s,"}

// parentSentences are what parents write to the school.
var parentSentences = []string{
	"Mein Sohn hat seit heute Morgen Fieber und kann leider nicht zur Schule kommen.",
	"Meine Tochter wird heute um 11:30 Uhr von ihrer Oma abgeholt.",
	"Könnten Sie mir bitte mitteilen, welche Seiten im Arbeitsheft bis Freitag zu erledigen sind?",
	"Wir haben die Einverständniserklärung unterschrieben und geben sie morgen mit.",
	"Leider konnte ich beim Elternabend nicht dabei sein – gibt es ein Protokoll?",
	"Ich würde gerne einen Termin für ein kurzes Gespräch vereinbaren.",
	"Im Anhang finden Sie das ärztliche Attest.",
	"Können wir das bitte telefonisch besprechen? Ich bin ab 16 Uhr erreichbar.",
	"Paul hat sich im Sportunterricht leicht am Knöchel verletzt, es geht ihm aber gut.",
	"Ich habe die Nachricht erst jetzt gesehen, entschuldigen Sie die späte Antwort.",
	"Unser Bus hatte heute 25 Minuten Verspätung, deshalb kamen die Kinder zu spät.",
	"Gibt es schon Neuigkeiten zur Projektwoche?",
	"Mein Kind klagt seit einigen Tagen über Bauchschmerzen vor der Schule.",
	"Ich hätte noch eine Frage zur Bewertung des Referats.",
	"Wäre es möglich, dass mein Sohn am Freitag die letzte Stunde früher gehen darf?",
	"Meine Frau und ich würden gerne beim Lesepaten-Projekt mitmachen.",
	"Er sagte wörtlich: 'Ich habe keine Hausaufgaben auf.' ¯\\_(ツ)_/¯",
	"Gruß aus dem Urlaub 🌴☀️ – wir sind ab Montag wieder da.",
	"Θα ήθελα να μιλήσω μαζί σας – sorry, mein Handy stand auf Griechisch 😅",
	"Bunu öğretmene iletebilir misiniz? (Können Sie das an die Lehrerin weitergeben?)",
	"Дякую за допомогу! Vielen Dank für die Hilfe!",
}

// teacherSentences are what teachers and the office write to parents.
var teacherSentences = []string{
	"Die Klassenfahrt kostet voraussichtlich 245 € pro Kind, Zuschüsse sind möglich.",
	"Bitte denken Sie daran, dass am Mittwoch Wandertag ist; festes Schuhwerk nicht vergessen.",
	"Der Förderverein sucht noch Helferinnen und Helfer für das Sommerfest.",
	"Die Mathearbeit wird auf nächste Woche Dienstag verschoben.",
	"Ab Montag gilt der neue Stundenplan; die Änderungen sind gelb markiert.",
	"Es wurde eine dunkelblaue Jacke (Größe 134) in der Turnhalle gefunden.",
	"Bitte geben Sie Ihrem Kind für den Ausflug ein Lunchpaket und etwas zu trinken mit.",
	"Das Geld für die Klassenkasse (10,00 €) bitte bis Ende des Monats überweisen.",
	"Die Hausaufgaben wurden in den letzten zwei Wochen nicht vollständig erledigt.",
	"Die Bücherei hat donnerstags in der großen Pause geöffnet.",
	"Die Zeugnisse werden am letzten Schultag in der 3. Stunde ausgegeben.",
	"Bitte füllen Sie das Formular aus und geben Sie es bis spätestens Freitag zurück.",
	"Für den Kunstunterricht werden ein Aquarellkasten und zwei Pinsel benötigt.",
	"Der Elternsprechtag findet am 14. November von 15 bis 19 Uhr statt.",
	"Die Schwimmsachen bitte jeden Dienstag mitbringen (Badekappe ist Pflicht).",
	"Wegen eines Wasserschadens fällt der Unterricht in Raum 1.12 bis auf Weiteres aus.",
	"Die Anmeldung zur Ganztagsbetreuung ist ab sofort im Sekretariat möglich.",
	"Die Fotos vom Ausflug können Sie über den Link in der nächsten Nachricht ansehen.",
	"Bitte beachten Sie die geänderten Abholzeiten wegen der Baustelle vor dem Haupteingang.",
	"Es gab in der Klasse einen Fall von Kopfläusen; bitte kontrollieren Sie Ihr Kind.",
	"Am Donnerstag gibt es in der Mensa ausnahmsweise kein Mittagessen.",
	"Sie erreichen mich über das Sekretariat oder per Nachricht hier in der App.",
	"Falls Fragen bestehen, melden Sie sich gerne jederzeit bei mir.",
	"Die Übungsblätter liegen unter \\\\schulserver\\klasse5b\\Mathe bereit.",
	"Das Passwort für die Lernplattform lautet weiterhin \"Sonnenblume2026\" (bitte nicht weitergeben).",
	"Die Noten: Deutsch\t2\nMathe\t3+\nEnglisch\t1-",
	"Bitte mitbringen:\n\t- Turnschuhe\n\t- Trinkflasche\n\t- Regenjacke",
	"Zur Info: Der Link lautet https://wippidu.net/klasse?id=5b&tab=termine",
}

// commonSentences fit anyone.
var commonSentences = []string{
	"Vielen Dank für die schnelle Rückmeldung!",
	"Wir freuen uns sehr über Ihre Unterstützung!",
	"Herzlichen Dank für Ihr Engagement in diesem Schuljahr!",
	"Das Schulfest war ein voller Erfolg – danke an alle, die Kuchen gebacken haben! 🍰",
	"Ich melde mich nächste Woche noch einmal.",
	"Einen schönen Abend noch!",
	"Ist Ihnen Donnerstag um 7:45 Uhr recht?",
	"Das klingt gut, so machen wir es.",
}

var closings = []string{
	"Viele Grüße\n%s", "Mit freundlichen Grüßen\n\n%s", "LG %s", "Danke und schöne Grüße!\n— %s",
	"Beste Grüße,\n%s", "Liebe Grüße 😊\n%s", "MfG\r\n%s", "Herzliche Grüße\n%s",
}

var signatures = []string{
	"\n\n--\nGesendet von meinem iPhone",
	"\n\n-- \nElternvertretung",
	"\n\nVon meinem Samsung Galaxy Smartphone gesendet.",
	"\n\n> Am 03.11.2026 um 07:12 schrieb Sekretariat:\n> Bitte um Rückmeldung.\n>\n> Danke!",
}

var letterTitles = []string{
	"Elternbrief: Wandertag", "Einladung zum Elternabend", "Klassenfahrt nach Berlin – Anmeldung",
	"Einverständniserklärung Schwimmunterricht", "Informationen zum Halbjahreszeugnis",
	"Spendenaufruf Förderverein 💚", "Läusebefall in der Klasse – bitte lesen",
	"Fotograf kommt am Dienstag 📸", "Theaterbesuch „Die kleine Hexe“", "Projektwoche 2026",
	"Sponsorenlauf – Laufzettel", "Änderung der Unterrichtszeiten", "Elternbrief Nr. 7",
	"Schulbuchbestellung / Eigenanteil", "Sicherer Schulweg: Baustelle Hauptstraße",
	"Ausflug in den Zoo 🦁", "Weihnachtsbasar 🎄", "Betriebspraktikum Klasse 9",
	"Medienerziehung: Handyregeln", "Skifahrt – Kosten & Packliste", "Mensa: neue Preise ab 1.2.",
	"Zeugnisausgabe und Ferienbeginn", "Streik im Nahverkehr – Hinweise", "Impfaktion (freiwillig)",
}

var letterTopics = []string{
	"Ausflug", "Elternabend", "Klassenfahrt", "Schwimmen", "Zeugnis", "Förderverein",
	"Gesundheit", "Fotos", "Theater", "Projektwoche", "Termine", "Finanzen", "Mensa",
}

var studentNotes = []string{
	"Allergie: Erdnüsse", "Darf allein nach Hause gehen.", "Asthma-Spray im Ranzen",
	"Abholung nur durch Mutter (Sorgerecht!)", "Laktoseintoleranz", "Brille beim Sport abnehmen",
	"Förderbedarf Lesen/Rechtschreibung (LRS)", "Nachteilsausgleich: 15 Min. mehr Zeit",
	"Fährt mit Bus 726 – Ankunft 7:48", "Ganztag Mo–Do", "Kein Schweinefleisch",
	"Notfallkontakt: Oma \"Hilde\" 0171 2345678", "Medikament:\tRitalin 10mg\n(morgens zu Hause)",
}

var ackComments = []string{
	"Gelesen, danke!", "Ok 👍", "Wir sind dabei.", "Kind nimmt nicht teil (krank).",
	"Betrag überwiesen.", "Bitte Rückruf wegen Zuschuss.", "Erledigt\n\nLG", "✔️",
	"Unterschrift folgt in Papierform.", "Frage: gilt das auch für Geschwister?",
}

var tagPool = []string{
	"wichtig", "elternabend", "krankmeldung", "ausflug", "hausaufgaben", "termin",
	"förderverein", "klassenkasse", "Q&A", "to-do", "🎉", "erledigt", "Klasse 5b, AG",
	`"Zitat"`, `C:\Pfad`, "mit Leerzeichen", "{klammer}", "NULL", "Ü-Ei",
}

var rooms = []string{
	"R 204", "Raum 1.12", "Turnhalle", "A-Trakt 3", "Container 2", "Musiksaal", "B 0.07",
	"Physik-Hörsaal", "Raum „Sonne“",
}

var locales = []string{"de", "de", "de", "de", "de", "de", "de", "en", "tr", "uk", "ar", "pl", "de-AT"}
