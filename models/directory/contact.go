package directory

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"dutydesk/models"
	"dutydesk/models/store"
)

// Contact is a person at a school whom the desk reaches: principal (校长), safety officer (安全专干),
// duty phone. Every contact of a school receives its warnings.
type Contact struct {
	ID        int64     `json:"id"`
	SchoolID  int64     `json:"school_id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Email     string    `json:"email"`
	Mobile    string    `json:"mobile"`
	IsPrimary bool      `json:"is_primary"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ContactInput creates or updates a contact.
type ContactInput struct {
	Name      *string `json:"name"`
	Role      *string `json:"role"`
	Email     *string `json:"email"`
	Mobile    *string `json:"mobile"`
	IsPrimary *bool   `json:"is_primary"`
}

func (in ContactInput) apply(c *Contact) models.Problems {
	p := models.Problems{}
	if in.Name != nil {
		c.Name = strings.TrimSpace(*in.Name)
	}
	if in.Role != nil {
		c.Role = strings.TrimSpace(*in.Role)
	}
	if in.Email != nil {
		c.Email = strings.TrimSpace(*in.Email)
	}
	if in.Mobile != nil {
		c.Mobile = strings.TrimSpace(*in.Mobile)
	}
	if in.IsPrimary != nil {
		c.IsPrimary = *in.IsPrimary
	}
	if c.Name == "" || utf8.RuneCountInString(c.Name) > 64 {
		p.Add("name", "请填写联系人姓名（不超过64字）")
	}
	if utf8.RuneCountInString(c.Role) > 32 {
		p.Add("role", "职务不超过32字")
	}
	if c.Email == "" && c.Mobile == "" {
		p.Add("email", "邮箱和手机号至少填写一项")
	}
	if c.Email != "" && !validEmail(c.Email) {
		p.Add("email", "邮箱格式不正确")
	}
	if c.Mobile != "" && !validMobile(c.Mobile) {
		p.Add("mobile", "手机号格式不正确")
	}
	return p
}

var errContactTaken = &models.Error{Code: models.ECONFLICT, Message: "该校已有同名联系人", Fields: map[string]string{"name": "该校已有同名联系人"}}

// editableSchool loads a school and checks that actor may edit its contacts.
// Errors: not_found (also outside the actor's scope), forbidden.
func (s *Store) editableSchool(actor *models.User, schoolID int64) (*School, error) {
	var sc School
	if err := s.db.DB().Take(&sc, schoolID).Error; err != nil {
		return nil, models.NotFound("学校", err)
	}
	if !actor.CanSeeSchool(sc.ID, sc.DistrictID) {
		return nil, models.Errorf(models.ENOTFOUND, "学校不存在")
	}
	if !actor.Can(models.EditContacts) {
		return nil, models.ErrForbidden
	}
	return &sc, nil
}

// CreateContact adds a contact to a school. Errors: not_found, forbidden, invalid, conflict.
func (s *Store) CreateContact(ctx context.Context, actor *models.User, schoolID int64, in ContactInput) (*Contact, error) {
	c := &Contact{SchoolID: schoolID}
	err := s.transact(ctx, func(tx *Store) error {
		if _, err := tx.editableSchool(actor, schoolID); err != nil {
			return err
		}
		if err := in.apply(c).Err(); err != nil {
			return err
		}
		if err := tx.db.DB().Create(c).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return errContactTaken
			}
			return fmt.Errorf("create contact: %w", err)
		}
		return tx.db.Audit(ctx, actor, "contact.create", "contact", c.ID, fmt.Sprintf("school %d: %s %s", schoolID, c.Name, c.Role))
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateContact changes a contact. Errors: not_found, forbidden, invalid, conflict.
func (s *Store) UpdateContact(ctx context.Context, actor *models.User, schoolID, id int64, in ContactInput) (*Contact, error) {
	var c Contact
	err := s.transact(ctx, func(tx *Store) error {
		if _, err := tx.editableSchool(actor, schoolID); err != nil {
			return err
		}
		if err := tx.db.DB().Where("school_id = ?", schoolID).Take(&c, id).Error; err != nil {
			return models.NotFound("联系人", err)
		}
		before := fmt.Sprintf("%s %s %s %s", c.Name, c.Role, c.Email, c.Mobile)
		if err := in.apply(&c).Err(); err != nil {
			return err
		}
		if err := tx.db.DB().Save(&c).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return errContactTaken
			}
			return fmt.Errorf("update contact %d: %w", id, err)
		}
		return tx.db.Audit(ctx, actor, "contact.update", "contact", c.ID, before+" → "+fmt.Sprintf("%s %s %s %s", c.Name, c.Role, c.Email, c.Mobile))
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// DeleteContact removes a contact. Errors: not_found, forbidden.
func (s *Store) DeleteContact(ctx context.Context, actor *models.User, schoolID, id int64) error {
	return s.transact(ctx, func(tx *Store) error {
		if _, err := tx.editableSchool(actor, schoolID); err != nil {
			return err
		}
		var c Contact
		if err := tx.db.DB().Where("school_id = ?", schoolID).Take(&c, id).Error; err != nil {
			return models.NotFound("联系人", err)
		}
		if err := tx.db.DB().Delete(&c).Error; err != nil {
			return fmt.Errorf("delete contact %d: %w", id, err)
		}
		return tx.db.Audit(ctx, actor, "contact.delete", "contact", c.ID, fmt.Sprintf("school %d: %s", schoolID, c.Name))
	})
}
