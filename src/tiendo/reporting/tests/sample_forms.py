"""A small forms file for tests: one commune form, four elements, one rule, two indicator sources."""

SMALL_FORMS = """\
data_elements:
  - code: T_LAN_OK
    name: Mạng LAN hoạt động thông suốt
    name_en: LAN in working order
    value_type: boolean
    aggregation: sum
  - code: T_TRAINED
    name: Số cán bộ được bồi dưỡng kỹ năng số
    name_en: Officials trained in digital skills
    value_type: integer
    measure: người
  - code: T_STAFF
    name: Tổng số cán bộ
    name_en: Total officials
    value_type: integer
    measure: người
  - code: T_NOTE
    name: Ghi chú của đơn vị
    value_type: text
    aggregation: none
forms:
  - code: T-XA-Q
    symbol: Biểu số 99/TEST
    title: Biểu thử nghiệm cấp xã
    title_en: Test commune form
    period_type: quarterly
    deadline_days: 5
    working_days: true
    assigned_to: [group:communes]
    sections:
      - title: Hạ tầng
        elements:
          - {element: T_LAN_OK, required: true}
      - title: Nhân lực
        elements:
          - {element: T_TRAINED, required: true, min: 0}
          - {element: T_STAFF, required: true, min: 0}
          - {element: T_NOTE}
    rules:
      - code: T-R1
        expression: T_TRAINED <= T_STAFF
        message: Số cán bộ được bồi dưỡng không được lớn hơn tổng số cán bộ
        message_en: Trained officials cannot exceed all officials
indicator_sources:
  plan: quang-ngai-2026
  indicators:
    - indicator: II.2
      source: form
      form: T-XA-Q
      numerator: T_LAN_OK
      denominator: units:group:communes
      factor: 100
    - indicator: V.1
      source: form
      form: T-XA-Q
      numerator: T_TRAINED
      denominator: T_STAFF
      factor: 100
"""
