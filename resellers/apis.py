"""The reseller API (`/api/v1/`): one view per operation, thin, every error as
`{"code", "message"[, "details"]}`."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.models import OrderStatus
from providers.account_check import rate_limit_for_api_key
from resellers import bills, selectors, services
from resellers.authentication import ApiKeyAuthentication, ApiKeyRateThrottle
from resellers.serializers import (
    AccountCheckInput,
    AccountCheckOutput,
    BalanceOutput,
    BillInquiryInput,
    BillOrderOutput,
    BillOutput,
    BillPayInput,
    ErrorOutput,
    FlashSaleOutput,
    OrderInput,
    OrderOutput,
    ProductOutput,
    ValidateInput,
    ValidateOutput,
    order_reply,
)
from shop.dates import OUT_OF_RANGE, date_in_range
from shop.errors import ApplicationError
from shop.parsers import JSONParser
from wallets.services import wallet_for_user

STATUS_BY_CODE = {
    "account_not_found": status.HTTP_422_UNPROCESSABLE_ENTITY,
    "account_check_unsupported": status.HTTP_422_UNPROCESSABLE_ENTITY,
    "account_check_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
    "account_unconfirmed": status.HTTP_503_SERVICE_UNAVAILABLE,
    "account_checks_rate_limited": status.HTTP_429_TOO_MANY_REQUESTS,
    "insufficient_balance": status.HTTP_402_PAYMENT_REQUIRED,
    "idempotency_conflict": status.HTTP_409_CONFLICT,
    "not_for_sale": status.HTTP_422_UNPROCESSABLE_ENTITY,
    "promo_code_refused": status.HTTP_422_UNPROCESSABLE_ENTITY,
    "not_reseller": status.HTTP_403_FORBIDDEN,
    "busy": status.HTTP_503_SERVICE_UNAVAILABLE,
    # bills (docs/bills.md)
    "no_bill": status.HTTP_422_UNPROCESSABLE_ENTITY,
    "bill_already_paid": status.HTTP_409_CONFLICT,
    "bill_being_paid": status.HTTP_409_CONFLICT,
    "not_payable": status.HTTP_409_CONFLICT,
    "inquiry_expired": status.HTTP_409_CONFLICT,
    "not_found": status.HTTP_404_NOT_FOUND,
    "provider_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
    "provider_cutoff": status.HTTP_503_SERVICE_UNAVAILABLE,
}
CODE_BY_EXCEPTION = [
    (exceptions.NotAuthenticated, "unauthenticated"),
    (exceptions.AuthenticationFailed, "invalid_key"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.Throttled, "rate_limited"),
    (exceptions.ValidationError, "invalid_request"),
    (exceptions.ParseError, "invalid_json"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.NotAcceptable, "not_acceptable"),
]
ERRORS = {
    # Any call: a NUL character in the address (shop.middleware). Calls with their own 400
    # name it after this.
    400: OpenApiResponse(ErrorOutput, description="A malformed request."),
    401: OpenApiResponse(ErrorOutput, description="Missing, unknown or revoked key."),
    403: OpenApiResponse(ErrorOutput, description="Address not allowed for this key."),
    429: OpenApiResponse(ErrorOutput, description="Over the key's rate limit."),
}


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    body = {"code": code, "message": message}
    if details:
        body["details"] = details
    return body


def api_exception_handler(exc, context):
    """Every refusal in one JSON shape; None (a real 500) only for a bug."""
    if isinstance(exc, ApplicationError):
        response = Response(
            error_body(exc.code, exc.message, exc.extra),
            status=STATUS_BY_CODE.get(exc.code, status.HTTP_400_BAD_REQUEST),
        )
        if exc.extra.get("retry_after"):
            response["Retry-After"] = str(int(exc.extra["retry_after"]))
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    code = next((name for kind, name in CODE_BY_EXCEPTION if isinstance(exc, kind)), "error")
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(code, "The request is invalid.", {"fields": exc.detail})
    else:
        body = error_body(code, str(exc.detail))
    response = Response(body, status=exc.status_code)
    if getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        response["Retry-After"] = str(int(exc.wait))
    return response


class ResellerApi(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [ApiKeyRateThrottle]
    parser_classes = [JSONParser]  # the API speaks JSON only; other bodies are 415

    def get_exception_handler(self):
        return api_exception_handler

    def permission_denied(self, request, message=None, code=None):
        if request.authenticators and not request.successful_authenticator:
            raise exceptions.NotAuthenticated("Send `Authorization: Bearer <key>`.")
        raise exceptions.PermissionDenied(detail=message, code=code)


class ProductsApi(ResellerApi):
    @extend_schema(
        summary="Price list at your tier: the shop's items",
        parameters=[
            OpenApiParameter("category", str, description="Category slug."),
            OpenApiParameter("brand", str, description="Brand slug."),
        ],
        responses={200: ProductOutput(many=True), **ERRORS},
    )
    def get(self, request):
        rows = selectors.price_list(
            tier=request.user.price_tier,
            category=request.query_params.get("category", "")[:100],
            brand=request.query_params.get("brand", "")[:100],
        )
        return Response(ProductOutput(rows, many=True).data)


class FlashSalesApi(ResellerApi):
    @extend_schema(
        summary="Flash sales on now",
        description="The flash sales running now with stock left, the earliest ending "
        "first, at your tier's sale price. An order of one of `product_ids` gets the sale "
        "price by itself (no code) while `remaining` > 0.",
        responses={200: FlashSaleOutput(many=True), **ERRORS},
    )
    def get(self, request):
        rows = selectors.flash_sales_for_api(tier=request.user.price_tier)
        return Response(FlashSaleOutput(rows, many=True).data)


class BalanceApi(ResellerApi):
    @extend_schema(summary="Wallet balance", responses={200: BalanceOutput, **ERRORS})
    def get(self, request):
        wallet = wallet_for_user(user=request.user)
        return Response(BalanceOutput(wallet).data)


def _order_request(data: dict) -> services.ApiOrderRequest:
    return services.ApiOrderRequest(
        item_id=data.get("item_id"),
        product_id=data.get("product_id"),
        customer_data=data["customer_data"],
        amount=data.get("amount"),
        promo_code=data.get("promo_code") or "",
    )


class OrderValidateApi(ResellerApi):
    """POST validates; GET is the order whose ref_id is "validate" (the path is shared with
    `/orders/{ref_id}`, so that ref_id works like any other)."""

    @extend_schema(
        summary="The order whose ref_id is `validate`",
        description="`/orders/{ref_id}` for that one ref_id (POST here validates).",
        responses={200: OrderOutput, 404: ErrorOutput, **ERRORS},
    )
    def get(self, request):
        return _order_detail(user=request.user, ref_id="validate")

    @extend_schema(
        summary="Check an order without charging",
        request=ValidateInput,
        responses={
            **ERRORS,  # first: this call's own 400 below wins
            200: ValidateOutput,
            400: OpenApiResponse(
                ErrorOutput, description="Bad fields, or unknown item or product."
            ),
            402: OpenApiResponse(ErrorOutput, description="Balance too low (in `details`)."),
            422: OpenApiResponse(
                ErrorOutput,
                description="Item not for sale, or `promo_code_refused` (why in `details.reason`).",
            ),
        },
    )
    def post(self, request):
        data = _validated(ValidateInput, request.data)
        quote = services.api_order_validate(user=request.user, request=_order_request(data))
        return Response(
            ValidateOutput(
                {
                    "valid": True,
                    "item_id": quote.item.pk,
                    "product_id": data.get("product_id"),
                    "price": quote.price,
                    "list_price": quote.list_price,
                    "discount": quote.discount,
                    "promotion": quote.promotion,
                    "currency": quote.currency,
                    "balance": quote.balance,
                    "customer_no": quote.customer_no,
                }
            ).data
        )


class OrdersPage(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class FilterDateTimeField(serializers.DateTimeField):
    """A date or datetime filter; one at the calendar's edge (where the time zone math
    overflows) is a 400 like any other bad value."""

    def to_internal_value(self, value):
        try:
            parsed = super().to_internal_value(value)
        except OverflowError:
            raise serializers.ValidationError(OUT_OF_RANGE) from None
        if not date_in_range(parsed):
            raise serializers.ValidationError(OUT_OF_RANGE)
        return parsed


class OrderListFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    created_from = FilterDateTimeField(required=False, input_formats=["iso-8601", "%Y-%m-%d"])
    created_to = FilterDateTimeField(required=False, input_formats=["iso-8601", "%Y-%m-%d"])


class OrdersApi(ResellerApi):
    pagination_class = OrdersPage  # also tells the schema the list is paged

    @extend_schema(
        summary="Your API orders, newest first",
        parameters=[
            OrderListFilter,
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses={
            **ERRORS,  # first: this call's own 400 below wins
            200: OrderOutput(many=True),
            400: OpenApiResponse(ErrorOutput, description="A bad filter."),
            404: OpenApiResponse(ErrorOutput, description="No such page."),
        },
    )
    def get(self, request):
        filters = _validated(OrderListFilter, request.query_params)
        orders = selectors.api_orders(user=request.user, **filters)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(orders, request, view=self)
        return paginator.get_paginated_response(OrderOutput(page, many=True).data)

    @extend_schema(
        summary="Create and pay an order (idempotent by ref_id)",
        request=OrderInput,
        responses={
            **ERRORS,  # first: this call's own 400 below wins
            201: OpenApiResponse(OrderOutput, description="Created and paid."),
            200: OpenApiResponse(OrderOutput, description="This ref_id and body exist already."),
            400: OpenApiResponse(
                ErrorOutput, description="Bad fields, or unknown item or product."
            ),
            402: OpenApiResponse(ErrorOutput, description="Balance too low (in `details`)."),
            409: OpenApiResponse(ErrorOutput, description="ref_id used with another body."),
            422: OpenApiResponse(
                ErrorOutput,
                description="Item not for sale, `promo_code_refused` (why in "
                "`details.reason`), or `account_not_found` (the account check found no such "
                "account).",
            ),
            429: OpenApiResponse(
                ErrorOutput,
                description="Over the key's rate limit, or its account-check limit "
                "(`account_checks_rate_limited`).",
            ),
            503: OpenApiResponse(
                ErrorOutput,
                description="`account_unconfirmed`: the brand sells only to checked accounts "
                "and the check could not be made now.",
            ),
        },
    )
    def post(self, request):
        data = _validated(OrderInput, request.data)
        api_order, created = services.api_order_create(
            user=request.user,
            ref_id=data["ref_id"],
            request=_order_request(data),
            rate_limits=(rate_limit_for_api_key(request.auth.prefix),),
        )
        return Response(
            order_reply(api_order),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class AccountCheckApi(ResellerApi):
    @extend_schema(
        summary="Check whose account it is before ordering",
        description=(
            "Asks a provider's account check (a game nickname, a PLN customer's name and "
            "tariff) for the brand of `item_id` or `brand`. Free; answers are cached for "
            "minutes, and checks that reach a provider count against the key's account-check "
            "limit. An order for the same account records the name as `account_name`."
        ),
        request=AccountCheckInput,
        responses={
            **ERRORS,  # first: this call's own codes below win
            200: AccountCheckOutput,
            400: OpenApiResponse(ErrorOutput, description="Bad fields, unknown product or brand."),
            422: OpenApiResponse(
                ErrorOutput,
                description="`account_not_found`, or `account_check_unsupported` (no "
                "provider checks this brand).",
            ),
            429: OpenApiResponse(
                ErrorOutput,
                description="Over the key's rate limit, or its account-check limit "
                "(`account_checks_rate_limited`, with Retry-After).",
            ),
            503: OpenApiResponse(
                ErrorOutput,
                description="`account_check_unavailable`: no provider could answer now.",
            ),
        },
    )
    def post(self, request):
        data = _validated(AccountCheckInput, request.data)
        brand, result = services.api_account_check(
            user=request.user,
            customer_data=data["customer_data"],
            item_id=data.get("item_id"),
            product_id=data.get("product_id"),
            brand_slug=data.get("brand"),
            rate_limits=(rate_limit_for_api_key(request.auth.prefix),),
        )
        return Response(
            AccountCheckOutput(
                {"found": True, "name": result.name, "extra": result.extra, "brand": brand.slug}
            ).data
        )


class OrderDetailApi(ResellerApi):
    @extend_schema(
        summary="One order by your ref_id",
        responses={200: OrderOutput, 404: ErrorOutput, **ERRORS},
    )
    def get(self, request, ref_id: str):
        return _order_detail(user=request.user, ref_id=ref_id)


class BillInquiryApi(ResellerApi):
    @extend_schema(
        summary="Check a bill (no charge)",
        description="Asks the biller for the bill of `customer_no`: its name, periods, "
        "amount, the biller's admin fee, our fee and the total. Pay it the same day with "
        "`POST /api/v1/bills/pay`. Asking again returns the same open inquiry, or your "
        "order of this bill already paid today.",
        request=BillInquiryInput,
        responses={
            **ERRORS,
            200: BillOutput,
            400: OpenApiResponse(ErrorOutput, description="Bad fields or unknown bill type."),
            409: OpenApiResponse(ErrorOutput, description="Being paid, or paid today by another."),
            422: OpenApiResponse(ErrorOutput, description="No bill to pay, or not for sale."),
            503: OpenApiResponse(ErrorOutput, description="The biller cannot answer now."),
        },
    )
    def post(self, request):
        data = _validated(BillInquiryInput, request.data)
        order = bills.api_bill_inquire(
            user=request.user, product_id=data["product_id"], customer_no=data["customer_no"]
        )
        return Response(BillOutput(order).data)


class BillPayApi(ResellerApi):
    @extend_schema(
        summary="Pay a bill from the wallet (idempotent by ref_id)",
        description="Pays the bill of `inquiry_ref` at the total the inquiry showed. The "
        "same `ref_id` again returns the first payment; the bill is then an order like any "
        "other (`GET /api/v1/orders/{ref_id}`, callbacks to your URL).",
        request=BillPayInput,
        responses={
            **ERRORS,
            201: OpenApiResponse(BillOrderOutput, description="Paid; being delivered."),
            200: OpenApiResponse(BillOrderOutput, description="This ref_id paid it already."),
            400: OpenApiResponse(ErrorOutput, description="Bad fields."),
            402: OpenApiResponse(ErrorOutput, description="Balance too low (in `details`)."),
            404: OpenApiResponse(ErrorOutput, description="No such inquiry of yours."),
            409: OpenApiResponse(ErrorOutput, description="ref_id reused, or not payable."),
        },
    )
    def post(self, request):
        data = _validated(BillPayInput, request.data)
        api_order, created = bills.api_bill_pay(
            user=request.user, ref_id=data["ref_id"], inquiry_ref=data["inquiry_ref"]
        )
        return Response(
            BillOrderOutput(api_order).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def _order_detail(*, user, ref_id: str) -> Response:
    api_order = selectors.api_order_get(user=user, ref_id=ref_id)
    if api_order is None:
        raise exceptions.NotFound(f"You have no order {ref_id}.")
    return Response(order_reply(api_order))


def _validated(serializer_class, data) -> dict:
    if not hasattr(data, "get"):
        raise exceptions.ValidationError({"non_field_errors": ["Send a JSON object."]})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "resellers.authentication.ApiKeyAuthentication"
    name = "ResellerApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from your account page: `Authorization: Bearer rk_...`.",
        }
