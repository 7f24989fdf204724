package directory

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dutydesk/models"
	"dutydesk/models/store"
)

// District is a district or county education bureau (区县教育局) between the city bureau and schools.
type District struct {
	ID        int64     `json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DistrictInput creates or updates a district.
type DistrictInput struct {
	Code *string `json:"code"`
	Name *string `json:"name"`
}

func (in DistrictInput) apply(d *District) models.Problems {
	p := models.Problems{}
	if in.Code != nil {
		d.Code = strings.TrimSpace(*in.Code)
	}
	if in.Name != nil {
		d.Name = strings.TrimSpace(*in.Name)
	}
	if d.Code == "" || len(d.Code) > 32 {
		p.Add("code", "请填写区县代码（不超过32字符）")
	}
	if d.Name == "" || len([]rune(d.Name)) > 64 {
		p.Add("name", "请填写区县名称（不超过64字）")
	}
	return p
}

var errDistrictTaken = &models.Error{Code: models.ECONFLICT, Message: "区县代码或名称已存在", Fields: map[string]string{"code": "区县代码或名称已存在"}}

// CreateDistrict adds a district. Only admins may. Errors: forbidden, invalid, conflict.
func (s *Store) CreateDistrict(ctx context.Context, actor *models.User, in DistrictInput) (*District, error) {
	if !actor.Can(models.ManageDirectory) {
		return nil, models.ErrForbidden
	}
	d := &District{}
	if err := in.apply(d).Err(); err != nil {
		return nil, err
	}
	err := s.transact(ctx, func(tx *Store) error {
		if err := tx.db.DB().Create(d).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return errDistrictTaken
			}
			return fmt.Errorf("create district: %w", err)
		}
		return tx.db.Audit(ctx, actor, "district.create", "district", d.ID, d.Code+" "+d.Name)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// UpdateDistrict changes a district. Only admins may. Errors: forbidden, not_found, invalid, conflict.
func (s *Store) UpdateDistrict(ctx context.Context, actor *models.User, id int64, in DistrictInput) (*District, error) {
	if !actor.Can(models.ManageDirectory) {
		return nil, models.ErrForbidden
	}
	var d District
	err := s.transact(ctx, func(tx *Store) error {
		if err := tx.db.DB().Take(&d, id).Error; err != nil {
			return models.NotFound("区县", err)
		}
		before := d.Code + " " + d.Name
		if err := in.apply(&d).Err(); err != nil {
			return err
		}
		if err := tx.db.DB().Save(&d).Error; err != nil {
			if store.IsUniqueViolation(err) {
				return errDistrictTaken
			}
			return fmt.Errorf("update district %d: %w", id, err)
		}
		return tx.db.Audit(ctx, actor, "district.update", "district", d.ID, before+" → "+d.Code+" "+d.Name)
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// Districts lists every district by code. District names are reference data that every signed-in
// user may read (forms need them); what happens inside a district is scoped elsewhere.
func (s *Store) Districts(ctx context.Context) ([]District, error) {
	var ds []District
	if err := s.db.Conn(ctx).Order("code").Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("list districts: %w", err)
	}
	return ds, nil
}

// District returns one district. Errors: not_found.
func (s *Store) District(ctx context.Context, id int64) (*District, error) {
	var d District
	if err := s.db.Conn(ctx).Take(&d, id).Error; err != nil {
		return nil, models.NotFound("区县", err)
	}
	return &d, nil
}
