import pytest

from tiendo.conftest import make_user
from tiendo.ioc.registry import SHIPPED_REGISTRY, registry_load
from tiendo.orgunits.models import Membership


@pytest.fixture
def ioc_registry(shipped_data):
    """The shipped registry: 10 subsystems, 12 simulated devices (Dung Quất, VSIP, rivers, Lý Sơn …)."""
    return registry_load(path=SHIPPED_REGISTRY)


@pytest.fixture
def vantuong_operator(ioc_registry):
    """Operator on duty in Vạn Tường (Dung Quất): the air station and a camera are theirs."""
    return make_user("vantuong.operator", "21061", Membership.Role.OPERATOR)


@pytest.fixture
def camthanh_operator(ioc_registry):
    """Operator in Cẩm Thành: the Trà Khúc water station and a camera, nothing in Dung Quất."""
    return make_user("camthanh.operator", "21025", Membership.Role.OPERATOR)
