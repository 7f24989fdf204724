package incident

import (
	"strings"
)

// Category is the kind of an incident (突发事件类别).
type Category string

// The incident categories.
const (
	NaturalDisaster Category = "natural_disaster" // 自然灾害
	Accident        Category = "accident"         // 事故灾难
	PublicHealth    Category = "public_health"    // 公共卫生事件
	SocialSecurity  Category = "social_security"  // 社会安全事件
	ExamSafety      Category = "exam_safety"      // 考试安全
	NetworkSecurity Category = "network_security" // 网络与信息安全
	PublicOpinion   Category = "public_opinion"   // 教育舆情
)

// CategoryInfo names a category and its subtypes.
type CategoryInfo struct {
	Code     Category      `json:"code"`
	Name     string        `json:"name"`
	Subtypes []SubtypeInfo `json:"subtypes"`
}

// SubtypeInfo names a subtype of a category (e.g. drowning under accident).
type SubtypeInfo struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Categories lists every category with its subtypes, in display order. Subtype codes are unique
// across categories, so report rules may match on a subtype alone.
var Categories = []CategoryInfo{
	{NaturalDisaster, "自然灾害", []SubtypeInfo{
		{"typhoon", "台风"}, {"rainstorm", "暴雨"}, {"flood", "洪涝"}, {"earthquake", "地震"},
		{"geological_hazard", "地质灾害"}, {"other_natural", "其他自然灾害"}}},
	{Accident, "事故灾难", []SubtypeInfo{
		{"fire", "火灾"}, {"building_collapse", "建筑物倒塌"}, {"stampede", "拥挤踩踏"}, {"drowning", "溺水"},
		{"traffic", "交通事故（含校车）"}, {"lab_chemical", "实验室及危化品事故"}, {"other_accident", "其他事故"}}},
	{PublicHealth, "公共卫生事件", []SubtypeInfo{
		{"food_poisoning", "食物中毒"}, {"infectious_disease", "传染病聚集性疫情"},
		{"unknown_illness", "不明原因疾病"}, {"other_health", "其他公共卫生事件"}}},
	{SocialSecurity, "社会安全事件", []SubtypeInfo{
		{"group_incident", "群体性事件"}, {"campus_crime", "校园及周边治安刑事案件"},
		{"abnormal_death", "非正常死亡"}, {"disappearance", "失踪"}, {"bullying", "学生欺凌"},
		{"other_security", "其他社会安全事件"}}},
	{ExamSafety, "考试安全", []SubtypeInfo{
		{"paper_leak", "试题泄密"}, {"exam_cheating", "考试舞弊"}, {"exam_disruption", "考试秩序事件"}}},
	{NetworkSecurity, "网络与信息安全", []SubtypeInfo{
		{"cyber_attack", "网络攻击"}, {"data_leak", "数据泄露"}, {"harmful_content", "有害信息"}}},
	{PublicOpinion, "教育舆情", []SubtypeInfo{{"online_opinion", "网络舆情"}, {"media_report", "媒体报道"}}},
}

// ParseCategory accepts a category by its code or Chinese name.
func ParseCategory(s string) (Category, bool) {
	s = strings.TrimSpace(s)
	for _, c := range Categories {
		if s == string(c.Code) || s == c.Name {
			return c.Code, true
		}
	}
	return "", false
}

// Name returns the category's Chinese name.
func (c Category) Name() string {
	for _, info := range Categories {
		if info.Code == c {
			return info.Name
		}
	}
	return string(c)
}

// HasSubtype tells whether subtype (a code) belongs to the category.
func (c Category) HasSubtype(subtype string) bool {
	for _, info := range Categories {
		if info.Code != c {
			continue
		}
		for _, st := range info.Subtypes {
			if st.Code == subtype {
				return true
			}
		}
	}
	return false
}

// Severity is an incident's grade (事件等级): I is the gravest, IV the least.
type Severity int

// The severities.
const (
	SeverityI   Severity = 1 // 特别重大
	SeverityII  Severity = 2 // 重大
	SeverityIII Severity = 3 // 较大
	SeverityIV  Severity = 4 // 一般
)

// Valid tells whether s is one of I–IV.
func (s Severity) Valid() bool { return s >= SeverityI && s <= SeverityIV }

// Name returns the grade in Chinese, e.g. "Ⅱ级（重大）".
func (s Severity) Name() string {
	names := [...]string{"", "Ⅰ级（特别重大）", "Ⅱ级（重大）", "Ⅲ级（较大）", "Ⅳ级（一般）"}
	if !s.Valid() {
		return "未定级"
	}
	return names[s]
}
