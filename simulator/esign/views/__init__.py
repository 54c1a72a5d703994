"""The eSignature REST v2.1 subset, under /simulator/restapi/v2.1/accounts/{accountId}/, one
module per API area.

Reference: https://developers.docusign.com/docs/esign-rest-api/reference/
"""
