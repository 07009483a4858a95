package demodata

// poolHashes are the bcrypt hashes, at cost 10, of poolPasswords, in order.
// TestPasswordPool checks them; `go test ./demodata -run TestPasswordPool
// -update-pool` writes this file again after a change to the pool.
var poolHashes = [maxPasswordPool]string{
	"$2a$10$b4N2.HZbY1CLX7q8Tj8RcukSBWB6kl.99dSl9c38rTKYqidWUlgtO",
	"$2a$10$UnrD0fyoD0JnEUUXniMEj.lCRKi0b6Yqth9EhVTwLYWhAyAP4hnAy",
	"$2a$10$Oz.Zv/91JG63Q7WmCCOQhedU.FYpNpNBCcU3nplvwmBGMw4Af658K",
	"$2a$10$ORG6nPoPoRl4OBKskQ0WbOODl83lBqwznfNnkGR.jxstKBrZGD49i",
	"$2a$10$ckFSH7FIN6t2/BntNilWeeaiy5xl9AY3PrkxUbAVerBeTPanXIiK.",
	"$2a$10$V8btngou3W.hP5JqZ5mAAO3YAkRfAIqJSyu/mK0JY.XmRK1aHvviS",
	"$2a$10$TBispwui6uvHlXKQfT8qou74yJe9.fSyHteyq16q34b.ikCLMUkg2",
	"$2a$10$gawXmG9MzwK5g9GlQLyGX.iOa.sjgqAfIUQv4EsmbR.R96hsIQEdO",
	"$2a$10$96fJguLA4zUJ/tAOlYtSrOYN49eAGrSSyCHOou04sphvwuOoFbQFC",
	"$2a$10$NKjJW84ecwsRRVb/Q16lsu2gKUrPWDhla25rQjRrOuO89iDfSJcSq",
	"$2a$10$.01oGZfYIMArliGyR30DS.qHzKDMbrfxbZpbZVo2OjEFw5MLpQ3.W",
	"$2a$10$7t8zFHf565fIH.w10guBaubTNXvgEG0YvoDdPXeQlKj7znJdTw0Xq",
	"$2a$10$MA0fZPz9/gqehU4U9uIlV.t1p0fw3Yc0JFMrao7FG5hI.yLaAsYni",
	"$2a$10$Dwm/B8gFUfK9KwfMTXIkgOE2USSJeFCZ5AQSssse31NOYlB93KdG.",
	"$2a$10$zDdR6DPaqHgK9oIIm3vJpumiqDUl8s/FOuySyCHTkDUK.Ivm1MXRi",
	"$2a$10$bgcahxd1FSagQv0h4X58uOnEsJIWvFgAyLbGSts1J.m7UIMC.9a5O",
}
