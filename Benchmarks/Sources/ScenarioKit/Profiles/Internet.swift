/// The services the hosts talk to: public ones by addresses they resolve to,
/// the company's own in 10.0.0.0/8. Planted attackers live in the
/// documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24).
enum Internet {
    // Ubuntu
    static let ubuntuArchive = [Endpoint("185.125.190.36", 80), Endpoint("185.125.190.39", 80), Endpoint("91.189.91.83", 80)]
    static let ubuntuSecurity = [Endpoint("185.125.190.81", 80), Endpoint("91.189.91.82", 80)]
    static let snapStore = [Endpoint("185.125.188.58", 443), Endpoint("185.125.188.59", 443)]
    static let motdNews = Endpoint("185.125.190.18", 443)
    static let ubuntuContracts = Endpoint("185.125.188.120", 443)
    static let fwupd = Endpoint("151.101.1.55", 443)

    // Code and packages
    static let github = [Endpoint("140.82.112.3", 443), Endpoint("140.82.112.4", 443), Endpoint("140.82.114.3", 443)]
    static let githubAPI = Endpoint("140.82.112.6", 443)
    static let githubObjects = [Endpoint("185.199.108.133", 443), Endpoint("185.199.109.133", 443)]
    static let actionsBroker = [Endpoint("13.107.42.16", 443), Endpoint("13.107.43.16", 443)]
    static let actionsResults = [Endpoint("20.60.40.4", 443), Endpoint("20.209.34.100", 443)]
    static let npmRegistry = [Endpoint("104.16.24.34", 443), Endpoint("104.16.25.34", 443), Endpoint("104.16.27.34", 443)]
    static let pypi = [Endpoint("151.101.0.223", 443), Endpoint("151.101.64.223", 443)]
    static let pythonHosted = [Endpoint("151.101.1.63", 443), Endpoint("151.101.65.63", 443)]
    static let goProxy = [Endpoint("142.250.181.241", 443), Endpoint("172.217.16.145", 443)]
    static let goSum = Endpoint("142.250.185.81", 443)
    static let goDownloads = Endpoint("142.250.186.78", 443)
    static let cratesIndex = [Endpoint("18.66.233.21", 443), Endpoint("18.66.233.93", 443)]
    static let cratesStatic = [Endpoint("151.101.2.137", 443), Endpoint("151.101.66.137", 443)]
    static let pykeCDN = Endpoint("104.21.48.21", 443)
    static let rustStatic = [Endpoint("18.66.196.70", 443), Endpoint("18.66.196.12", 443)]
    static let codecov = Endpoint("35.186.245.51", 443)
    static let vercelRemoteCache = Endpoint("76.76.21.21", 443)
    static let huggingFace = [Endpoint("18.164.174.118", 443), Endpoint("18.164.174.23", 443)]
    static let googleFonts = [Endpoint("142.250.74.74", 443), Endpoint("142.250.185.67", 443)]
    static let dockerRegistry = [Endpoint("54.236.113.205", 443), Endpoint("44.205.64.79", 443)]
    static let dockerCDN = [Endpoint("104.16.100.207", 443), Endpoint("104.16.101.207", 443)]
    static let dockerPackages = Endpoint("13.249.39.58", 443)
    static let debianMirror = [Endpoint("151.101.2.132", 80), Endpoint("151.101.66.132", 80)]
    static let terraformRegistry = Endpoint("13.249.39.100", 443)
    static let hashicorpReleases = Endpoint("13.249.39.62", 443)
    static let elasticArtifacts = Endpoint("34.120.127.130", 443)
    static let vscodeUpdate = Endpoint("13.107.246.40", 443)
    static let vscodeMarketplace = Endpoint("13.107.42.18", 443)
    static let copilot = [Endpoint("140.82.113.21", 443), Endpoint("140.82.113.22", 443)]
    static let letsEncrypt = Endpoint("172.65.32.248", 443)
    static let cloudflareAPI = Endpoint("104.19.192.29", 443)
    static let quay = Endpoint("3.216.152.103", 443)
    static let registryK8s = Endpoint("34.96.108.209", 443)
    static let fluentBitRegistry = Endpoint("34.120.88.171", 443)

    // Clouds and SaaS
    static let awsS3 = [Endpoint("52.216.8.107", 443), Endpoint("52.217.97.36", 443), Endpoint("3.5.25.14", 443)]
    static let awsAPIs = [Endpoint("52.94.236.248", 443), Endpoint("54.239.28.85", 443), Endpoint("52.119.197.31", 443)]
    static let awsSSM = [Endpoint("52.46.154.62", 443), Endpoint("52.46.145.233", 443), Endpoint("52.46.157.27", 443)]
    static let stripe = [Endpoint("54.187.174.169", 443), Endpoint("54.187.205.235", 443)]
    static let sendgrid = Endpoint("167.89.118.52", 443)
    static let smtpRelay = Endpoint("167.89.118.35", 587)
    static let googleAPIs = Endpoint("142.250.185.202", 443)
    static let statusPage = Endpoint("52.215.192.133", 443)
    static let partnerAPI = [Endpoint("198.18.40.10", 443), Endpoint("198.18.40.11", 443)]
    static let customerWebhooks = [Endpoint("34.117.59.81", 443), Endpoint("52.31.8.147", 443), Endpoint("104.18.32.47", 443)]
    static let cdn = [Endpoint("151.101.193.91", 443), Endpoint("151.101.129.91", 443)]

    // The company's network
    static let dns = Endpoint("10.0.0.2", 53)
    static let postgres = Endpoint("10.0.1.20", 5432)
    static let databaseHostSSH = Endpoint("10.0.1.20", 22)
    static let redis = Endpoint("10.0.1.21", 6379)
    static let redisHostSSH = Endpoint("10.0.1.21", 22)
    static let kafka = [Endpoint("10.0.1.30", 9092), Endpoint("10.0.1.31", 9092), Endpoint("10.0.1.32", 9092)]
    static let rabbitMQ = Endpoint("10.0.1.40", 5672)
    static let rabbitMQManagement = Endpoint("10.0.1.40", 15672)
    static let elasticsearch = Endpoint("10.0.2.30", 9200)
    static let logstash = Endpoint("10.0.3.5", 5044)
    static let monitoringElasticsearch = Endpoint("10.0.3.6", 9200)
    static let loki = Endpoint("10.0.3.8", 3100)
    static let pushgateway = Endpoint("10.0.3.9", 9091)
    static let mediaStore = Endpoint("10.0.4.12", 9000)
    static let backupHost = Endpoint("10.0.5.10", 22)
    static let otherHostsSSH = [Endpoint("10.0.10.12", 22), Endpoint("10.0.10.13", 22), Endpoint("10.0.1.20", 22), Endpoint("10.0.20.31", 22)]
    static let gitlab = Endpoint("10.0.6.5", 443)
    static let runnerCache = Endpoint("10.0.6.10", 9000)
    static let nexus = Endpoint("10.0.6.20", 8081)
    static let artifacts = Endpoint("10.0.6.30", 443)
    static let companyRegistry = Endpoint("10.0.7.5", 443)
    static let productionClusterAPI = Endpoint("10.20.0.10", 6443)
    static let publicSite = Endpoint("10.0.9.80", 443)
}
