package anonymizer

// German first and last names for the names anonymizer. A row's fake name is picked
// from these by a keyed hash, so it is the same on every refresh with the same salt.

var germanFirstNames = [...]string{
	"Anna", "Lena", "Lea", "Hannah", "Mia", "Emma", "Sophie", "Marie", "Lina", "Emilia",
	"Clara", "Johanna", "Laura", "Julia", "Lara", "Leonie", "Amelie", "Charlotte", "Greta", "Frieda",
	"Ida", "Mathilda", "Paula", "Luisa", "Nele", "Pia", "Carla", "Ella", "Elisa", "Helena",
	"Katharina", "Sabine", "Susanne", "Petra", "Claudia", "Andrea", "Stefanie", "Nicole", "Katrin", "Birgit",
	"Monika", "Ursula", "Renate", "Gabriele", "Karin", "Heike", "Silke", "Anja", "Tanja", "Melanie",
	"Jana", "Miriam", "Nadine", "Sandra", "Christina", "Franziska", "Theresa", "Annika", "Svenja", "Wiebke",
	"Lukas", "Leon", "Finn", "Jonas", "Paul", "Elias", "Felix", "Noah", "Ben", "Luis",
	"Maximilian", "Jakob", "Moritz", "Emil", "Anton", "Theo", "Henry", "Oskar", "Karl", "Friedrich",
	"Matthias", "Thomas", "Michael", "Andreas", "Stefan", "Christian", "Markus", "Frank", "Jürgen", "Uwe",
	"Wolfgang", "Klaus", "Dieter", "Hans", "Peter", "Ralf", "Sven", "Tobias", "Florian", "Sebastian",
	"Daniel", "Alexander", "Martin", "Jan", "Tim", "Philipp", "Simon", "Niklas", "Benedikt", "Johannes",
	"Konstantin", "Vincent", "Valentin", "Leopold", "Ludwig", "Wilhelm", "Bernd", "Holger", "Dirk", "Torsten",
}

var germanLastNames = [...]string{
	"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
	"Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
	"Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier",
	"Lehmann", "Schmid", "Schulze", "Maier", "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber",
	"Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Schubert",
	"Vogel", "Friedrich", "Keller", "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz",
	"Baumann", "Franke", "Albrecht", "Schuster", "Simon", "Ludwig", "Böhm", "Winter", "Kraus", "Martin",
	"Schumacher", "Krämer", "Vogt", "Stein", "Jäger", "Otto", "Sommer", "Groß", "Seidel", "Heinrich",
	"Brandt", "Haas", "Schreiber", "Graf", "Schulte", "Dietrich", "Ziegler", "Kuhn", "Kühn", "Pohl",
	"Engel", "Horn", "Busch", "Bergmann", "Thomas", "Voigt", "Sauer", "Arnold", "Wolff", "Pfeiffer",
	"Brinkmann", "Lindner", "Ebert", "Vetter", "Kolb", "Böttcher", "Marx", "Ostermann", "Brückner", "Eichhorn",
}

// FakeNames lists every name the names anonymizer may give, first names then last
// names: a name from this list in staging's text may be a fake one.
func FakeNames() []string {
	return append(append([]string{}, germanFirstNames[:]...), germanLastNames[:]...)
}
