"""Who is acting: a staff member, a citizen with a query code, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass

from hotline.models import Role, User


@dataclass(frozen=True)
class Actor:
    """The plain-value identity a service checks permissions against and writes into events."""

    label: str
    role: Role | None = None
    user_id: int | None = None
    department_id: int | None = None
    kind: str = "user"  # user | citizen | system

    @classmethod
    def from_user(cls, user: User) -> Actor:
        return cls(label=user.display_name, role=user.role, user_id=user.id,
                   department_id=user.department_id)

    @classmethod
    def system(cls, label: str = "系统") -> Actor:
        return cls(label=label, kind="system")

    @classmethod
    def citizen(cls) -> Actor:
        return cls(label="市民", kind="citizen")

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    @property
    def sees_everything(self) -> bool:
        """Agents, supervisors, admins and the system see every case; departments their own."""
        return self.kind == "system" or self.role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
