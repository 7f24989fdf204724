package directory

import (
	"context"
	"fmt"

	"dutydesk/models"
	"dutydesk/models/store"
)

// What the escalation engine and the roster read of the directory (escalation.Directory). Each
// reads in tx, the caller's transaction or plain Store; none checks permissions: the callers are
// the system itself.

// SchoolRefs returns the schools with the given ids, in id order.
func (s *Store) SchoolRefs(ctx context.Context, tx *store.Store, ids []int64) ([]models.SchoolRef, error) {
	var refs []models.SchoolRef
	if err := tx.Conn(ctx).Model(&School{}).Select("id, district_id, name").Where("id IN ?", ids).Order("id").Scan(&refs).Error; err != nil {
		return nil, fmt.Errorf("schools %v: %w", ids, err)
	}
	return refs, nil
}

// ContactRecipients returns the contacts of the schools, school by school, primary first.
func (s *Store) ContactRecipients(ctx context.Context, tx *store.Store, schoolIDs []int64) ([]models.Recipient, error) {
	var contacts []Contact
	if err := tx.Conn(ctx).Where("school_id IN ?", schoolIDs).Order("school_id, is_primary DESC, id").Find(&contacts).Error; err != nil {
		return nil, fmt.Errorf("school contacts: %w", err)
	}
	out := make([]models.Recipient, len(contacts))
	for i, c := range contacts {
		out[i] = models.Recipient{Name: c.Name, Email: c.Email}
	}
	return out, nil
}

// DistrictOfficers returns the active district officers of the districts.
func (s *Store) DistrictOfficers(ctx context.Context, tx *store.Store, districtIDs []int64) ([]models.User, error) {
	var users []models.User
	err := tx.Conn(ctx).Where("role = ? AND district_id IN ? AND disabled = ?", models.RoleDistrictOfficer, districtIDs, false).
		Order("id").Find(&users).Error
	if err != nil {
		return nil, fmt.Errorf("district officers: %w", err)
	}
	return users, nil
}

// Leaders returns the active leader accounts that have an e-mail address.
func (s *Store) Leaders(ctx context.Context, tx *store.Store) ([]models.User, error) {
	var leaders []models.User
	if err := tx.Conn(ctx).Where("role = ? AND disabled = ? AND email <> ''", models.RoleLeader, false).Order("id").Find(&leaders).Error; err != nil {
		return nil, fmt.Errorf("leaders: %w", err)
	}
	return leaders, nil
}

// EveryoneOnDuty returns every active leader and every active duty officer: who stands in where
// the roster has nobody on duty.
func (s *Store) EveryoneOnDuty(ctx context.Context, tx *store.Store) (leaders, officers []models.User, err error) {
	var users []models.User
	err = tx.Conn(ctx).Where("role IN ? AND disabled = ?", []models.Role{models.RoleLeader, models.RoleDutyOfficer}, false).Order("id").Find(&users).Error
	if err != nil {
		return nil, nil, fmt.Errorf("users on duty: %w", err)
	}
	for _, u := range users {
		if u.Role == models.RoleLeader {
			leaders = append(leaders, u)
		} else {
			officers = append(officers, u)
		}
	}
	return leaders, officers, nil
}
